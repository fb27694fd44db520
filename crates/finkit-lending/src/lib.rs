//! finkit-lending: under construction by its issue.
