//! finkit-credit: under construction by its issue.
