//! Integration tests: the real server on 127.0.0.1:0 with a real SQLite file, driven through the
//! real client and phone libraries. One binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod book;
mod cli;
mod console;
mod crash;
mod lifecycle;
mod management;
mod recovery;
mod staff;
mod tls;
mod webhook;
mod webphone;
mod wire;
