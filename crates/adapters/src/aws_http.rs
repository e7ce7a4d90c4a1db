//! The AWS SDK's HTTP client, on reqwest and the process's one TLS configuration, instead of the
//! SDK's default client (which builds its own TLS set-up and scans the system trust store).

use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;

/// DynamoDB and SQS answer in milliseconds; a request that hangs this long is retried by the SDK.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct ReqwestConnector {
    http: reqwest::Client,
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let http = self.http.clone();
        HttpConnectorFuture::new(async move {
            let request = request.try_into_http1x().map_err(|err| ConnectorError::user(err.into()))?;
            let (parts, body) = request.into_parts();
            // Our requests to AWS are small JSON bodies, held in memory.
            let bytes = body.bytes().map(|b| b.to_vec()).unwrap_or_default();
            let request = http::Request::from_parts(parts, bytes);
            let request = reqwest::Request::try_from(request).map_err(|err| ConnectorError::user(err.into()))?;
            let response = http.execute(request).await.map_err(classify)?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(classify)?;
            let mut answer = http::Response::new(SdkBody::from(body));
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            HttpResponse::try_from(answer).map_err(|err| ConnectorError::other(err.into(), None))
        })
    }
}

fn classify(err: reqwest::Error) -> ConnectorError {
    if err.is_timeout() {
        ConnectorError::timeout(err.into())
    } else {
        ConnectorError::io(err.into())
    }
}

/// One reqwest client per process, shared by every AWS client built from the SDK configuration.
pub fn sdk_http_client() -> Result<SharedHttpClient, String> {
    let http = super::https::client_builder(READ_TIMEOUT)?
        .build()
        .map_err(|err| format!("cannot build the AWS HTTP client: {err}"))?;
    let connector = SharedHttpConnector::new(ReqwestConnector { http });
    Ok(http_client_fn(move |_settings, _components| connector.clone()))
}
