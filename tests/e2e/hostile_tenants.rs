//! A tenant who attacks the platform through what it may configure: tool schemas whose patterns
//! stall validation, approvals after expiry, tool URLs changed under a pending call, outbound
//! addresses and ports, numbers registered on the deployment's own token, the local stack itself.

use colloquy_tests::TestStack;
use serde_json::json;

use crate::tools::{book_viewing, create};

/// Matching time of this pattern grows exponentially on a backtracking engine.
const CATASTROPHIC: &str = r"^(?:((a|a)*)\1c|a+)$";

#[tokio::test]
async fn a_schema_pattern_that_needs_backtracking_is_refused_when_the_tool_is_created() {
    let stack = TestStack::new().await;
    let admin = stack.workspace("Maple Court").await;
    let mut tool = book_viewing();
    tool["parameters"]["properties"]["day"] =
        json!({"type": "array", "items": {"type": "string", "pattern": CATASTROPHIC}});

    let refused = create(&stack, &admin.plaintext, tool.clone()).await;

    assert_eq!((refused.status, refused.error_field()), (400, Some("parameters")), "{}", refused.body);
    assert!(refused.body.to_string().contains("backreferences"), "{}", refused.body);
    let look_ahead = json!({"type": "object", "patternProperties": {"^(?=a)": {"type": "string"}}});
    tool["parameters"]["properties"]["day"] = look_ahead;
    assert_eq!(create(&stack, &admin.plaintext, tool.clone()).await.status, 400);
    tool["parameters"]["properties"]["day"] = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"});
    assert_eq!(create(&stack, &admin.plaintext, tool).await.status, 201, "an ordinary pattern is accepted");
}
