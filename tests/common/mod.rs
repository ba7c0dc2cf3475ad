//! Shared integration-test helpers: loopback fixture servers (owned by the test-server helper).
//!
//! * [`http::FeedServer`] — HTTP/1.1 feed server with conditional GET and fault behaviours.
//! * [`hook::Hook`] — webhook receiver scripted with statuses, recording every request.
//! * [`smtp::SmtpServer`] — SMTP server (mailin-embedded behind a small relay) recording messages.
#![allow(dead_code)]

pub mod hook;
pub mod http;
pub mod smtp;
