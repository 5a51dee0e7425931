//! Reproduces every vector computed with the official Huawei Cloud SDK signer, byte for byte.

use std::time::SystemTime;

use crate::common;
use serde_json::Value;
use servicestage_gate::encoding::{canonical_query, percent_encode};
use servicestage_gate::signing::{self, Request};

struct Vector {
    id: String,
    input: Value,
    expected: Value,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("signing_vectors.json");
    let file: Value = serde_json::from_str(text).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 9, "the vector file lost entries");
    vectors
        .iter()
        .map(|v| Vector {
            id: v["id"].as_str().unwrap().to_string(),
            input: v["input"].clone(),
            expected: v["expected"].clone(),
        })
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The request as the gate would send it for this vector's input.
fn wire(vector: &Vector) -> (String, String, Vec<(String, String)>) {
    let input = &vector.input;
    let path = format!(
        "/assembling/v1/jobs/{}/builds",
        percent_encode(input["job_id_raw"].as_str().unwrap().as_bytes())
    );
    let pairs: Vec<(String, String)> = input["query"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (text(&pair[0]), text(&pair[1])))
        .collect();
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let query = canonical_query(&borrowed);

    let mut headers: Vec<(String, String)> = input["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    headers.push((
        "Host".into(),
        "servicestage.cn-north-4.myhuaweicloud.com".into(),
    ));
    if let Some(project) = input["project_id"].as_str() {
        headers.push(("X-Project-Id".into(), project.into()));
    }
    if let Some(token) = input["security_token"].as_str() {
        headers.push(("X-Security-Token".into(), token.into()));
    }
    (path, query, headers)
}

fn sdk_time(vector: &Vector) -> SystemTime {
    common::parse_sdk_date(vector.input["x_sdk_date"].as_str().unwrap()).unwrap()
}

#[test]
fn the_gate_sends_the_wire_request_uri_of_the_sdk() {
    for vector in vectors() {
        let (path, query, _) = wire(&vector);
        assert_eq!(
            format!("{path}?{query}"),
            vector.expected["wire_request_uri"].as_str().unwrap(),
            "{}",
            vector.id
        );
    }
}

#[test]
fn canonical_request_string_to_sign_and_authorization_match_the_sdk() {
    for vector in vectors() {
        let (path, query, headers) = wire(&vector);
        let (ak, sk) = (
            vector.input["ak"].as_str().unwrap(),
            vector.input["sk"].as_str().unwrap(),
        );
        let time = sdk_time(&vector);
        let date = signing::sdk_date(time);
        assert_eq!(
            date,
            vector.input["x_sdk_date"].as_str().unwrap(),
            "{}",
            vector.id
        );

        let mut dated = headers.clone();
        dated.push(("X-Sdk-Date".into(), date.clone()));
        let request = Request {
            method: "GET",
            path: &path,
            query: &query,
            headers: &dated,
            body: b"",
        };
        let canonical = signing::canonical_request(&request);
        assert_eq!(
            canonical,
            vector.expected["canonical_request"].as_str().unwrap(),
            "{}",
            vector.id
        );
        let to_sign = signing::string_to_sign(&date, &canonical);
        assert_eq!(
            to_sign,
            vector.expected["string_to_sign"].as_str().unwrap(),
            "{}",
            vector.id
        );
        assert_eq!(
            signing::signature(sk, &to_sign),
            vector.expected["signature"].as_str().unwrap(),
            "{}",
            vector.id
        );
        assert_eq!(
            signing::signed_header_names(&dated),
            vector.expected["signed_headers"].as_str().unwrap(),
            "{}",
            vector.id
        );

        let undated = Request {
            headers: &headers,
            ..request
        };
        let added = signing::sign(&undated, ak, sk, time);
        assert_eq!(added[0], ("X-Sdk-Date".to_string(), date), "{}", vector.id);
        assert_eq!(
            added[1],
            (
                "Authorization".to_string(),
                vector.expected["authorization"]
                    .as_str()
                    .unwrap()
                    .to_string()
            ),
            "{}",
            vector.id
        );
    }
}
