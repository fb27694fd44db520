//! finkit-pool: under construction by its issue.
