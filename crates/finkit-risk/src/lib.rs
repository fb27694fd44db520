//! finkit-risk: under construction by its issue.
