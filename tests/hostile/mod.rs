//! A generated hostile server (issue 19 item 16). A seeded generator builds a consistent
//! truth (`generator`, `session`) and tells lies about it (`lies`); a loopback server
//! serves it (`server`); the real binary runs against it (`run`); `oracle` says what the
//! truth deserves and `check` holds every run to the invariants.

pub mod check;
pub mod encode;
pub mod generator;
pub mod lies;
pub mod oracle;
pub mod rng;
pub mod run;
pub mod server;
pub mod session;
pub mod structure;
pub mod text;
