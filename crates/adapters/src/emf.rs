//! CloudWatch's embedded metric format: each measurement is one JSON line on the function's
//! standard output, which Lambda sends to CloudWatch Logs, where CloudWatch extracts the metrics.
//! No `PutMetricData` call is made. The dimension set is the function and the measurement's own
//! bounded dimensions; the workspace is a property.

use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use colloquy_domain::metrics::{Measurement, Metrics};

pub const NAMESPACE: &str = "Colloquy";

/// Where the lines go: standard output in Lambda, a buffer in tests.
#[derive(Clone)]
pub enum Sink {
    Stdout,
    Buffer(Arc<Mutex<Vec<String>>>),
}

pub struct EmfMetrics {
    function: String,
    sink: Sink,
}

impl EmfMetrics {
    pub fn new(function: impl Into<String>, sink: Sink) -> Self {
        Self { function: function.into(), sink }
    }

    /// The EMF document of one measurement. Its metrics are kept by every dimension it has and,
    /// when it has more than one, by its first alone (replies by outcome whatever the reason:
    /// what the failure-rate alarm reads).
    pub fn line(&self, measurement: &Measurement) -> Value {
        let mut dimension_names = vec!["function"];
        dimension_names.extend(measurement.dimensions.iter().map(|(name, _)| *name));
        let mut dimension_sets = vec![dimension_names.clone()];
        if dimension_names.len() > 2 {
            dimension_sets.push(dimension_names[..2].to_vec());
        }
        let metrics: Vec<Value> =
            measurement.values.iter().map(|(name, _, unit)| json!({"Name": name, "Unit": unit.as_str()})).collect();
        // When it happened, in wall-clock milliseconds, as CloudWatch files it.
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let mut document = Map::new();
        document.insert(
            "_aws".into(),
            json!({"Timestamp": timestamp as i64, "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": dimension_sets, "Metrics": metrics}
            ]}),
        );
        document.insert("function".into(), json!(self.function));
        document.insert("measurement".into(), json!(measurement.kind));
        for (name, value) in &measurement.dimensions {
            document.insert((*name).into(), json!(value));
        }
        for (name, value, _) in &measurement.values {
            document.insert((*name).into(), json!(value));
        }
        if let Some(workspace) = &measurement.workspace {
            document.insert("workspace".into(), json!(workspace.as_str()));
        }
        Value::Object(document)
    }
}

impl Metrics for EmfMetrics {
    fn record(&self, measurement: Measurement) {
        let line = self.line(&measurement).to_string();
        match &self.sink {
            Sink::Stdout => println!("{line}"),
            Sink::Buffer(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        }
    }
}
