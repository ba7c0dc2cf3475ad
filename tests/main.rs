//! The one integration-test binary (`autotests = false`): real HTTP and SMTP servers on
//! loopback, real SQLite files in temp dirs, the real `chipwatch` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)] // test code: failing loudly is the point

mod alerts;
mod channels;
mod cluster_eval;
mod common;
mod config_checks;
mod corpus;
mod crash;
mod daemon;
mod demo;
mod disk;
mod e2e;
mod faults;
mod feedparser_diff;
mod first_hour;
mod first_hour_fixes;
mod fuzz_parse;
mod google_news;
mod hostile;
mod opml_io;
mod parse_problems;
mod regulatory;
mod render;
mod retention;
mod rule_pack;
mod server_http;
mod silent_feeds;
mod stories;
mod unchanged_bodies;
mod util;
