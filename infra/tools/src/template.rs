//! Reads `infra/template.yaml`: the one description of the table, the queues and the routes.
//! The local stack and the tests build their resources from it, so they cannot drift from it.

use std::path::{Path, PathBuf};

use serde_norway::Value;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid YAML: {source}")]
    Parse { path: PathBuf, source: serde_norway::Error },
    #[error("infra/template.yaml: {0}")]
    Shape(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyElement {
    pub attribute: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<KeyElement>,
    pub projection_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// (name, type) pairs: `S`, `N` or `B`.
    pub attributes: Vec<(String, String)>,
    pub key_schema: Vec<KeyElement>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub fifo: bool,
    pub visibility_timeout: Option<i64>,
    /// High-throughput FIFO: `messageGroup` and `perMessageGroupId` when both are set.
    pub deduplication_scope: Option<String>,
    pub fifo_throughput_limit: Option<String>,
    /// (dead-letter queue's logical id, maxReceiveCount)
    pub redrive: Option<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
    /// The cargo binary that serves it.
    pub binary: String,
}

/// A Lambda function of the template: its binary, the environment variables it sets and the
/// secrets it is given (the logical ids in `CONFIG_SECRET_ARNS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The function's logical id in the template (`GetAgentFunction`).
    pub logical_id: String,
    /// `Metadata.BuildMethod`: how `sam build` builds it.
    pub build_method: String,
    pub binary: String,
    pub environment: std::collections::BTreeSet<String>,
    pub secrets: std::collections::BTreeSet<String>,
    /// The function's `Policies`, as written (intrinsic functions are tagged values).
    pub policies: Value,
}

#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
}

pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("template.yaml")
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read { path: path.into(), source })?;
        let root =
            serde_norway::from_str(&text).map_err(|source| TemplateError::Parse { path: path.into(), source })?;
        Ok(Self { root })
    }

    pub fn load_default() -> Result<Self, TemplateError> {
        Self::load(&default_path())
    }

    /// The resources of a type, by logical id, as written (intrinsic functions are tagged values).
    pub fn resources(&self, kind: &str) -> Vec<(String, Value)> {
        self.resources_of_type(kind).map(|(id, resource)| (id, resource.clone())).collect()
    }

    fn resources_of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (String, &'a Value)> + 'a {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|resources| resources.iter())
            .filter(move |(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, resource)| (id.as_str().unwrap_or_default().to_owned(), resource))
    }

    pub fn table(&self) -> Result<TableSpec, TemplateError> {
        let mut tables = self.resources_of_type("AWS::DynamoDB::Table");
        let (_, table) = tables.next().ok_or_else(|| shape("declares no AWS::DynamoDB::Table"))?;
        if tables.next().is_some() {
            return Err(shape("declares more than one table; the design has one"));
        }
        let props = table.get("Properties").ok_or_else(|| shape("table has no Properties"))?;
        let attributes = list(props, "AttributeDefinitions")?
            .iter()
            .map(|a| Ok((text(a, "AttributeName")?, text(a, "AttributeType")?)))
            .collect::<Result<_, TemplateError>>()?;
        let indexes = match props.get("GlobalSecondaryIndexes") {
            None => Vec::new(),
            Some(_) => list(props, "GlobalSecondaryIndexes")?
                .iter()
                .map(|index| {
                    Ok(IndexSpec {
                        name: text(index, "IndexName")?,
                        key_schema: key_schema(index)?,
                        projection_type: index
                            .get("Projection")
                            .map(|p| text(p, "ProjectionType"))
                            .transpose()?
                            .unwrap_or_else(|| "ALL".into()),
                    })
                })
                .collect::<Result<_, TemplateError>>()?,
        };
        let ttl_attribute = props.get("TimeToLiveSpecification").map(|ttl| text(ttl, "AttributeName")).transpose()?;
        Ok(TableSpec { attributes, key_schema: key_schema(props)?, indexes, ttl_attribute })
    }

    pub fn queues(&self) -> Vec<QueueSpec> {
        self.resources_of_type("AWS::SQS::Queue")
            .map(|(logical_id, queue)| {
                let props = queue.get("Properties");
                let get = |name: &str| props.and_then(|p| p.get(name));
                let redrive = get("RedrivePolicy").and_then(|policy| {
                    let target = policy.get("deadLetterTargetArn")?;
                    let dlq = get_att_resource(target)?;
                    Some((dlq, policy.get("maxReceiveCount")?.as_i64()?))
                });
                QueueSpec {
                    logical_id,
                    fifo: get("FifoQueue").and_then(Value::as_bool).unwrap_or(false),
                    visibility_timeout: get("VisibilityTimeout").and_then(Value::as_i64),
                    deduplication_scope: get("DeduplicationScope").and_then(Value::as_str).map(str::to_owned),
                    fifo_throughput_limit: get("FifoThroughputLimit").and_then(Value::as_str).map(str::to_owned),
                    redrive,
                }
            })
            .collect()
    }

    /// Every HttpApi route the template declares, sorted.
    pub fn routes(&self) -> Vec<RouteSpec> {
        let mut routes: Vec<RouteSpec> = self
            .resources_of_type("AWS::Serverless::Function")
            .flat_map(|(_, function)| {
                let binary = binary_of(function);
                let events = function
                    .get("Properties")
                    .and_then(|p| p.get("Events"))
                    .and_then(Value::as_mapping)
                    .cloned()
                    .unwrap_or_default();
                events
                    .into_iter()
                    .filter(|(_, event)| event.get("Type").and_then(Value::as_str) == Some("HttpApi"))
                    .filter_map(|(_, event)| {
                        let props = event.get("Properties")?;
                        Some(RouteSpec {
                            method: props.get("Method")?.as_str()?.to_uppercase(),
                            path: props.get("Path")?.as_str()?.to_owned(),
                            binary: binary.clone(),
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        routes.sort();
        routes
    }
}

/// The media bucket as declared: what the local stack reproduces on moto.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    pub logical_id: String,
    /// The lifecycle rule's expiry: the parameter's default when it is a `!Ref`.
    pub expiration_days: Option<i64>,
    pub blocks_public_access: bool,
    pub encrypted: bool,
}

impl Template {
    pub fn buckets(&self) -> Vec<BucketSpec> {
        self.resources_of_type("AWS::S3::Bucket")
            .map(|(logical_id, bucket)| {
                let props = bucket.get("Properties");
                let get = |name: &str| props.and_then(|p| p.get(name));
                let block = get("PublicAccessBlockConfiguration");
                let blocks_public_access =
                    ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
                        .iter()
                        .all(|flag| block.and_then(|b| b.get(*flag)).and_then(Value::as_bool) == Some(true));
                let expiration = get("LifecycleConfiguration")
                    .and_then(|l| l.get("Rules"))
                    .and_then(Value::as_sequence)
                    .and_then(|rules| rules.iter().find_map(|rule| rule.get("ExpirationInDays")));
                let expiration_days = expiration.and_then(|days| match days {
                    Value::Tagged(tagged) if tagged.tag == "Ref" => {
                        let name = tagged.value.as_str()?;
                        self.root.get("Parameters")?.get(name)?.get("Default")?.as_i64()
                    }
                    other => other.as_i64(),
                });
                BucketSpec {
                    logical_id,
                    expiration_days,
                    blocks_public_access,
                    encrypted: get("BucketEncryption").is_some(),
                }
            })
            .collect()
    }

    pub fn functions(&self) -> Vec<FunctionSpec> {
        self.resources_of_type("AWS::Serverless::Function")
            .map(|(logical_id, function)| {
                let binary = binary_of(function);
                let build_method = function
                    .get("Metadata")
                    .and_then(|m| m.get("BuildMethod"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let variables = function
                    .get("Properties")
                    .and_then(|p| p.get("Environment"))
                    .and_then(|e| e.get("Variables"))
                    .and_then(Value::as_mapping);
                let environment =
                    variables.into_iter().flatten().filter_map(|(k, _)| k.as_str().map(str::to_owned)).collect();
                let secrets = variables
                    .and_then(|v| v.get("CONFIG_SECRET_ARNS"))
                    .map(|value| {
                        let mut refs = Vec::new();
                        collect_refs(value, &mut refs);
                        refs
                    })
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                let policies =
                    function.get("Properties").and_then(|p| p.get("Policies")).cloned().unwrap_or(Value::Null);
                FunctionSpec { logical_id, build_method, binary, environment, secrets, policies }
            })
            .collect()
    }
}

/// The cargo binary a function resource is built from.
fn binary_of(function: &Value) -> String {
    let properties = function.get("Metadata").and_then(|m| m.get("BuildProperties"));
    properties.and_then(|b| b.get("Binary")).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Every `!Ref X` (tagged) inside `value`.
fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => refs.extend(tagged.value.as_str().map(str::to_owned)),
        Value::Tagged(tagged) => collect_refs(&tagged.value, refs),
        Value::Sequence(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        Value::Mapping(map) => map.iter().for_each(|(_, item)| collect_refs(item, refs)),
        _ => {}
    }
}

/// `!GetAtt Queue.Arn` (tagged) or `{"Fn::GetAtt": [Queue, Arn]}` → `Queue`.
fn get_att_resource(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => {
            tagged.value.as_str().and_then(|target| target.split('.').next()).map(str::to_owned)
        }
        Value::Mapping(map) => map
            .get("Fn::GetAtt")
            .and_then(Value::as_sequence)
            .and_then(|parts| parts.first())
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

fn shape(message: &str) -> TemplateError {
    TemplateError::Shape(message.to_owned())
}

fn list<'a>(value: &'a Value, name: &str) -> Result<&'a Vec<Value>, TemplateError> {
    value.get(name).and_then(Value::as_sequence).ok_or_else(|| shape(&format!("{name} must be a list")))
}

fn text(value: &Value, name: &str) -> Result<String, TemplateError> {
    value.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| shape(&format!("{name} must be a string")))
}

fn key_schema(value: &Value) -> Result<Vec<KeyElement>, TemplateError> {
    list(value, "KeySchema")?
        .iter()
        .map(|k| Ok(KeyElement { attribute: text(k, "AttributeName")?, key_type: text(k, "KeyType")? }))
        .collect()
}
