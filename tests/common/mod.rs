//! Shared integration-test helpers: loopback fixture servers (owned by the test-server helper).
//!
//! * [`http::FeedServer`] — HTTP/1.1 feed server with conditional GET and fault behaviours.
//! * [`smtp::SmtpServer`] — SMTP server (mailin-embedded behind a small relay) recording messages.
#![allow(dead_code)]

pub mod http;
pub mod smtp;
