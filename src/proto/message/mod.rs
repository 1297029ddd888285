//! Whole client-protocol messages: a header and the body its op code selects. A frame's
//! payload (see [`crate::proto::frame`]) is one of these, except the handshake's
//! ConnectRequest and ConnectResponse, which have no header.

mod request;
mod response;

pub use request::{Request, RequestBody};
pub use response::{Response, ResponseBody};
