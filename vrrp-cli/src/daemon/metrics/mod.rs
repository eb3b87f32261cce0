//! `vrrp run --metrics ADDR:PORT`: the routers' state and counters as Prometheus metrics
//! over HTTP at `/metrics` (every family is documented in `docs/metrics.md`).
//!
//! - [`render`] turns [`RouterReport`](crate::daemon::status::RouterReport)s (the typed
//!   status `vrrp status` prints) into the Prometheus text format, with the
//!   `prometheus-client` crate's encoder (escaping, `# HELP` / `# TYPE` lines, `_total`).
//! - [`serve`] answers `GET /metrics` on a `TcpListener` from a thread per connection,
//!   with deadlines and limits ([`Limits`]); the routers' state comes from any
//!   [`StatusSource`](crate::daemon::status::StatusSource), as for the status socket.

mod exposition;
mod http;
mod slots;

pub use exposition::{render, CONTENT_TYPE, INSTANCE_LABEL};
pub use http::{serve, serve_with, Limits};
