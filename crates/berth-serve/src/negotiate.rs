//! Choosing the request and response formats from the headers.
//!
//! Content type: `Content-Type`, else SageMaker's `X-Amzn-SageMaker-Content-Type`, else
//! `DEFAULT_CONTENT_TYPE`. Response: `Accept`, else `X-Amzn-SageMaker-Accept`, else
//! `DEFAULT_ACCEPT`. Accept is read as a list of media ranges with q-values: the highest-q range
//! berth can answer wins (ties keep header order); `*/*` and `application/*` get the default,
//! `text/*` gets CSV; `q=0` excludes. Nothing acceptable gives 406.

use axum::http::HeaderMap;

use crate::ServeError;
use crate::config::{RequestFormat, ResponseFormat};

const SAGEMAKER_CONTENT_TYPE: &str = "x-amzn-sagemaker-content-type";
const SAGEMAKER_ACCEPT: &str = "x-amzn-sagemaker-accept";

fn header<'h>(headers: &'h HeaderMap, names: &[&str]) -> Option<&'h str> {
    names.iter().find_map(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    })
}

/// The format of the request body.
pub(crate) fn request_format(
    headers: &HeaderMap,
    default: RequestFormat,
) -> Result<RequestFormat, ServeError> {
    match header(headers, &["content-type", SAGEMAKER_CONTENT_TYPE]) {
        None => Ok(default),
        Some(value) => RequestFormat::from_media_type(value)
            .ok_or_else(|| ServeError::UnsupportedMediaType(truncate(value))),
    }
}

/// The format of the response body.
pub(crate) fn response_format(
    headers: &HeaderMap,
    default: ResponseFormat,
) -> Result<ResponseFormat, ServeError> {
    let Some(accept) = header(headers, &["accept", SAGEMAKER_ACCEPT]) else {
        return Ok(default);
    };
    let mut ranges: Vec<(f32, usize, &str)> = Vec::new();
    for (position, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim();
        if essence.is_empty() {
            continue;
        }
        let mut quality = 1.0_f32;
        for parameter in parts {
            if let Some((key, value)) = parameter.split_once('=')
                && key.trim().eq_ignore_ascii_case("q")
            {
                quality = value.trim().parse().unwrap_or(0.0);
            }
        }
        if quality > 0.0 {
            ranges.push((quality, position, essence));
        }
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, essence) in ranges {
        let lower = essence.to_ascii_lowercase();
        let format = match lower.as_str() {
            "*/*" | "application/*" => Some(default),
            "text/*" => Some(ResponseFormat::Csv),
            other => ResponseFormat::from_media_type(other),
        };
        if let Some(format) = format {
            return Ok(format);
        }
    }
    Err(ServeError::NotAcceptable(truncate(accept)))
}

/// Header values are echoed in messages; keep them short.
fn truncate(value: &str) -> String {
    value.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> Result<ResponseFormat, ServeError> {
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_str(value).unwrap());
        response_format(&headers, ResponseFormat::Json)
    }

    #[test]
    fn accept_honours_q_values_parameters_and_wildcards() {
        assert_eq!(accept("text/csv").unwrap(), ResponseFormat::Csv);
        assert_eq!(
            accept("text/csv; charset=utf-8").unwrap(),
            ResponseFormat::Csv
        );
        assert_eq!(
            accept("application/json;q=0.5, text/csv").unwrap(),
            ResponseFormat::Csv
        );
        assert_eq!(
            accept("text/csv;q=0.2, application/jsonlines;q=0.9").unwrap(),
            ResponseFormat::JsonLines
        );
        assert_eq!(
            accept("application/xml, */*;q=0.1").unwrap(),
            ResponseFormat::Json
        );
        assert_eq!(accept("text/*").unwrap(), ResponseFormat::Csv);
        assert_eq!(accept("application/xml").unwrap_err().status(), 406);
        assert_eq!(accept("text/csv;q=0").unwrap_err().status(), 406);
    }

    #[test]
    fn sagemaker_headers_are_fallbacks() {
        let mut headers = HeaderMap::new();
        headers.insert(SAGEMAKER_CONTENT_TYPE, HeaderValue::from_static("text/csv"));
        headers.insert(
            SAGEMAKER_ACCEPT,
            HeaderValue::from_static("application/jsonlines"),
        );
        assert_eq!(
            request_format(&headers, RequestFormat::Json).unwrap(),
            RequestFormat::Csv
        );
        assert_eq!(
            response_format(&headers, ResponseFormat::Json).unwrap(),
            ResponseFormat::JsonLines
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        assert_eq!(
            request_format(&headers, RequestFormat::Csv).unwrap(),
            RequestFormat::Json
        );
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            request_format(&headers, RequestFormat::Json)
                .unwrap_err()
                .status(),
            415
        );
    }
}
