//! One local HTTP port for every route, through the same handlers as the Lambdas: the request is
//! turned into what `lambda_http` hands a handler (path and query parameters included).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Instant;

use colloquy_api::http::{response, Body, Request, Response};
use colloquy_api::App;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::http::StatusCode;
use lambda_http::RequestExt;
use tokio::net::TcpListener;

use crate::{graph_standin, llm_standin};
use colloquy_api::routes;

/// API Gateway's own payload limit.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

pub async fn serve(listener: TcpListener, app: App) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(dispatch(&app, request, peer).await) }
            });
            if let Err(err) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %err, "connection closed with an error");
            }
        });
    }
}

async fn dispatch(app: &App, request: hyper::Request<Incoming>, peer: SocketAddr) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
    let response = match Limited::new(body, MAX_PAYLOAD_BYTES).collect().await {
        Err(_) => not_routed(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
        Ok(collected) if path.starts_with(graph_standin::PATH_PREFIX) => {
            let content_type = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            let port = parts.uri.port_u16().or(local_port(&parts.headers)).unwrap_or(3000);
            graph_standin::answer(&method, &path, content_type, &collected.to_bytes(), port)
        }
        Ok(collected) if path.starts_with(llm_standin::PATH_PREFIX) => {
            llm_standin::answer(&path, &collected.to_bytes())
        }
        Ok(collected) if path == "/sample-tool" => llm_standin::sample_tool(&collected.to_bytes()),
        Ok(collected) => match routes::find(&method, &path) {
            None => routes::unrouted(&method, &path),
            Some((route, params)) => {
                let query = parts.uri.query().map(query_map).unwrap_or_default();
                let body = collected.to_bytes();
                let body = if body.is_empty() { Body::Empty } else { Body::from(body.to_vec()) };
                let request: Request = http::Request::from_parts(parts, body)
                    .with_path_parameters(params.into_iter().collect::<HashMap<_, _>>())
                    .with_query_string_parameters(query);
                // What the function deployed for this route has, and nothing more.
                routes::dispatch(route, &app.restricted_to(route.needs), &request).await
            }
        },
    };
    tracing::info!(%method, %path, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, %peer, "request");
    to_hyper(response)
}

/// The port a request was made to, from its `Host` header.
fn local_port(headers: &http::HeaderMap) -> Option<u16> {
    let host = headers.get("host")?.to_str().ok()?;
    host.rsplit_once(':')?.1.parse().ok()
}

/// What API Gateway answers when no route matches: `{"message": ...}`.
fn not_routed(status: StatusCode, message: &str) -> Response<Body> {
    response::with_json_body(status, serde_json::json!({ "message": message }).to_string())
}

fn query_map(query: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        map.entry(name.into_owned()).or_default().push(value.into_owned());
    }
    map
}

fn to_hyper(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
