//! `zabkeeper status`: what `zkServer.sh status` prints for a server, asked over the client
//! port with the `srvr` four-letter word.

use crate::config::{Host, ServerConfig};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// How long a server has to answer, as zkServer.sh gives `nc` a few seconds.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// zkServer.sh's words for a server that does not answer.
pub const NOT_RUNNING: &str = "Error contacting service. It is probably not running.";

/// The lines zkServer.sh prints for the server `config` describes, or [`NOT_RUNNING`] with
/// what went wrong.
pub fn status(config: &ServerConfig, config_file: Option<&Path>) -> Result<String, String> {
    // A server listening on every interface is asked on loopback, as zkServer.sh asks
    // "localhost".
    let host = match &config.client_address.host {
        host if host.is_every_interface() => "localhost".to_string(),
        Host::Ip(address) => address.to_string(),
        Host::Name(name) => name.clone(),
    };
    let port = config.client_address.port;
    let mut lines = Vec::new();
    if let Some(path) = config_file {
        lines.push(format!("Using config: {}", path.display()));
    }
    lines.push(format!(
        "Client port found: {port}. Client address: {host}. Client SSL: false."
    ));
    let mode = ask_mode(&host, port).map_err(|reason| format!("{NOT_RUNNING} ({reason})"))?;
    lines.push(format!("Mode: {mode}"));
    Ok(lines.join("\n"))
}

/// The `Mode:` the server's `srvr` answer names.
fn ask_mode(host: &str, port: u16) -> Result<String, String> {
    let address = (host, port)
        .to_socket_addrs()
        .map_err(|error| format!("{host}:{port}: {error}"))?
        .next()
        .ok_or_else(|| format!("{host} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, ANSWER_TIMEOUT)
        .map_err(|error| format!("{address}: {error}"))?;
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .map_err(|error| error.to_string())?;
    stream
        .write_all(b"srvr")
        .map_err(|error| format!("{address}: {error}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|error| format!("{address}: {error}"))?;
    answer
        .lines()
        .find_map(|line| line.strip_prefix("Mode: "))
        .map(str::to_string)
        .ok_or_else(|| format!("{address} answered srvr without a mode: {answer:?}"))
}
