//! The web layer's tests against a real server on 127.0.0.1 with a real SQLite file (and PostgreSQL for the
//! matrix when configured), and a real headless Chromium for the console.

mod bad_input;
mod browser;
mod common;
mod matrix;
mod openapi;
