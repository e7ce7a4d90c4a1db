#!/usr/bin/env python3
"""Writes events/<function>.json: API Gateway HTTP API (v2) events, one per API function.

Run it after adding a route; the contract test fails until every route has its fixture.
"""
import json
import pathlib

EVENTS = pathlib.Path(__file__).resolve().parent.parent / "events"


def event(method, route, path, body=None, params=None, query="", headers=None, api_key=True):
    e = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "content-length": str(len(body)) if body else "0",
            "host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": "Root=1-6740a1b2-0123456789abcdef01234567",
            "x-api-key": "clq_00000000_replace-with-a-real-key",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "Cf3kZjA1oAMEbQw=",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "22/Nov/2026:11:00:00 +0000",
            "timeEpoch": 1795345200000,
        },
        "isBase64Encoded": False,
    }
    if not api_key:
        del e["headers"]["x-api-key"]
    e["headers"].update(headers or {})
    if query:
        e["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    if params:
        e["pathParameters"] = params
    if body is not None:
        e["headers"]["content-type"] = "application/json"
        e["body"] = body
    return e


PROMPT_ID = "prm_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"
SUITE_ID = "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e93"
RUN_ID = "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e94"
# The issue's own shape: a scripted scenario with every expectation kind, and a simulated contact.
SUITE = {
    "name": "Leasing basics",
    "description": "What every leasing prompt must do",
    "scenarios": [
        {"name": "books a viewing", "turns": ["Hi", "Is it free on Saturday?"],
         "toolResults": {"book_viewing": {"booked": True, "slot": "Saturday 10:00"}}, "approvals": "approve",
         "expect": [{"callsTool": {"name": "book_viewing", "arguments": {"day": "Saturday"}}},
                    {"notCallsTool": "handoff_to_human"}, {"replyMatches": "(?i)saturday"},
                    {"replyNotMatches": "(?i)sorry"}, {"handsOff": False},
                    {"judge": {"rubric": "Friendly, confirms the day and the time", "passMark": 7}}]},
        {"name": "an angry tenant asks for a person",
         "simulate": {"persona": "A tenant whose boiler broke three days ago, short-tempered", "goal": "Speak to a person today", "maxTurns": 4},
         "approvals": "reject", "expect": [{"handsOff": True}]},
    ],
}
FIXTURES = {
    "get-workspace": event("GET", "/api/v1/workspace/", "/api/v1/workspace/"),
    "create-api-key": event("POST", "/api/v1/api-keys/", "/api/v1/api-keys/", body=json.dumps({"name": "CRM integration", "role": "write"})),
    "list-api-keys": event("GET", "/api/v1/api-keys/", "/api/v1/api-keys/", query="limit=20"),
    "revoke-api-key": event("DELETE", "/api/v1/api-keys/{prefix}/", "/api/v1/api-keys/clq_1a2b3c4d/", params={"prefix": "clq_1a2b3c4d"}),
    "create-prompt": event("POST", "/v1/public/prompts", "/v1/public/prompts", body=json.dumps({
        "prompt_name": "customer_support_v1",
        "prompt_content": "You are a helpful customer support agent. Be polite and professional.",
        "prompt_metadata": {"prompt_type": "main"},
    })),
    "get-public-prompt": event("GET", "/v1/public/prompts/{prompt_name}", "/v1/public/prompts/customer_support_v1",
                               params={"prompt_name": "customer_support_v1"}),
    "list-prompts": event("GET", "/api/prompts", "/api/prompts", query="limit=20"),
    "get-prompt": event("GET", "/api/prompts/{promptId}", f"/api/prompts/{PROMPT_ID}", params={"promptId": PROMPT_ID}),
    "update-prompt": event("PUT", "/api/prompts/{promptId}", f"/api/prompts/{PROMPT_ID}", params={"promptId": PROMPT_ID}, body=json.dumps({
        "name": "Leasing follow-up assistant (v2)",
        "prompt": "<prompt><role>Leasing assistant</role><goal>Be friendly, concise, and confirm next steps.</goal></prompt>",
        "description": "Refined tone; clearer next-step CTA.",
        "temperature": 0.6,
        "responseTime": 30,
        "tools": [{"name": "book_tour"}],
        "toolConfigs": {"book_tour": {"requireApproval": True}},
    })),
    "list-prompt-versions": event("GET", "/api/prompts/{promptId}/versions", f"/api/prompts/{PROMPT_ID}/versions", params={"promptId": PROMPT_ID}),
    "save-prompt-version": event("POST", "/api/prompts/{promptId}/versions", f"/api/prompts/{PROMPT_ID}/versions", params={"promptId": PROMPT_ID},
                                 body=json.dumps({"label": "Friendlier tone", "title": "Tone update", "description": "Softened the opening line."})),
    "get-prompt-version": event("GET", "/api/prompts/{promptId}/versions/{version}", f"/api/prompts/{PROMPT_ID}/versions/1",
                                params={"promptId": PROMPT_ID, "version": "1"}),
    "restore-prompt-version": event("POST", "/api/prompts/{promptId}/versions/{version}/restore", f"/api/prompts/{PROMPT_ID}/versions/1/restore",
                                    params={"promptId": PROMPT_ID, "version": "1"}),
    "list-prompt-labels": event("GET", "/api/prompts/{promptId}/labels", f"/api/prompts/{PROMPT_ID}/labels", params={"promptId": PROMPT_ID}),
    "move-prompt-label": event("PUT", "/api/prompts/{promptId}/labels/{label}", f"/api/prompts/{PROMPT_ID}/labels/production",
                               body=json.dumps({"version": 1}), params={"promptId": PROMPT_ID, "label": "production"}),
    "remove-prompt-label": event("DELETE", "/api/prompts/{promptId}/labels/{label}", f"/api/prompts/{PROMPT_ID}/labels/staging",
                                 params={"promptId": PROMPT_ID, "label": "staging"}),
}

CONV_ID = "conv_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"
AGENT_ID = "agt_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"
FIXTURES.update({
    "register-whatsapp-number": event("POST", "/api/v1/whatsapp-numbers/", "/api/v1/whatsapp-numbers/", body=json.dumps({
        "phoneNumberId": "106540352242922", "displayNumber": "+15550783881", "defaultAgentId": AGENT_ID, "accessToken": "EAAG-system-user-token"})),
    "list-whatsapp-numbers": event("GET", "/api/v1/whatsapp-numbers/", "/api/v1/whatsapp-numbers/"),
    "remove-whatsapp-number": event("DELETE", "/api/v1/whatsapp-numbers/{phoneNumberId}/", "/api/v1/whatsapp-numbers/106540352242922/",
                                    params={"phoneNumberId": "106540352242922"}),
    "create-agent": event("POST", "/api/v1/agents/", "/api/v1/agents/", body=json.dumps({
        "name": "Maple Court leasing",
        "promptId": PROMPT_ID,
        "promptVersion": None,
        "model": {"provider": "openai", "name": "gpt-4o-mini", "temperature": 0.4, "maxTokens": 512},
        "firstMessage": "Hi! I'm the Maple Court leasing assistant. How can I help?",
        "followUp": {"afterMinutes": 60, "maxAttempts": 2, "instruction": "Gently ask whether they still want a tour.",
                     "template": {"name": "tour_reminder", "language": "en_US", "variables": {"body": ["Maple Court"]}}},
        "tools": [{"name": "handoff_to_human"}],
    })),
    "update-workspace": event("PATCH", "/api/v1/workspace/", "/api/v1/workspace/",
                              body=json.dumps({"monthlyTokenQuota": 5000000, "webhookUrl": "https://hooks.example.com/colloquy"})),
    "get-usage": event("GET", "/api/v1/usage/", "/api/v1/usage/", query="from=2026-11-01&to=2026-11-22&groupBy=agent"),
    "create-policy": event("POST", "/api/v1/policies/", "/api/v1/policies/", body=json.dumps({
        "name": "No card numbers", "detectors": ["card"], "patterns": ["(?i)cvv\\s*\\d{3}"], "keywords": ["password"],
        "appliesTo": "both", "action": "block"})),
    "list-policies": event("GET", "/api/v1/policies/", "/api/v1/policies/"),
    "get-policy": event("GET", "/api/v1/policies/{id}/", "/api/v1/policies/pol_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/", params={"id": "pol_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}),
    "update-policy": event("PATCH", "/api/v1/policies/{id}/", "/api/v1/policies/pol_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/",
                           params={"id": "pol_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}, body=json.dumps({"action": "log"})),
    "delete-policy": event("DELETE", "/api/v1/policies/{id}/", "/api/v1/policies/pol_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/",
                           params={"id": "pol_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}),
    "list-policy-violations": event("GET", "/api/v1/policy-violations/", "/api/v1/policy-violations/"),
    "create-tool": event("POST", "/api/v1/tools/", "/api/v1/tools/", body=json.dumps({
        "name": "book_viewing", "description": "Books a flat viewing for the contact.",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}, "time": {"type": "string"}}, "required": ["day"]},
        "url": "https://api.maple-court.example/tools/book-viewing", "timeoutSeconds": 10, "requireApproval": True,
        "arguments": {"propertyId": "MC-1"}})),
    "list-tools": event("GET", "/api/v1/tools/", "/api/v1/tools/"),
    "get-tool": event("GET", "/api/v1/tools/{id}/", "/api/v1/tools/tool_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/", params={"id": "tool_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}),
    "update-tool": event("PATCH", "/api/v1/tools/{id}/", "/api/v1/tools/tool_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/", params={"id": "tool_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"},
                         body=json.dumps({"requireApproval": False})),
    "delete-tool": event("DELETE", "/api/v1/tools/{id}/", "/api/v1/tools/tool_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/", params={"id": "tool_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}),
    "list-agents": event("GET", "/api/v1/agents/", "/api/v1/agents/"),
    "get-agent": event("GET", "/api/v1/agents/{id}/", f"/api/v1/agents/{AGENT_ID}/", params={"id": AGENT_ID}),
    "update-agent": event("PATCH", "/api/v1/agents/{id}/", f"/api/v1/agents/{AGENT_ID}/", params={"id": AGENT_ID},
                          body=json.dumps({"name": "Maple Court leasing (v2)", "promptVersion": 2})),
    "delete-agent": event("DELETE", "/api/v1/agents/{id}/", f"/api/v1/agents/{AGENT_ID}/", params={"id": AGENT_ID}),
    "compare-agent-versions": event("GET", "/api/v1/agents/{id}/versions-compared/", f"/api/v1/agents/{AGENT_ID}/versions-compared/",
                                    params={"id": AGENT_ID}, query="from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"),
    "create-conversation": event("POST", "/api/v1/conversations/", "/api/v1/conversations/", body=json.dumps({
        "toNumber": "+4915112345678",
        "fromNumber": "+15550783881",
        "agentId": AGENT_ID,
        "message": {"type": "template", "template": {"name": "tour_invite", "variables": {
            "header": "Maple Court", "body": ["Anna", "Saturday"], "buttons": ["tour-42"],
            "cards": [{"header": "https://example.com/unit-1.jpg", "body": ["1 bedroom"], "buttons": ["unit-1"]}]}}},
    })),
    "list-conversations": event("GET", "/api/v1/conversations/", "/api/v1/conversations/"),
    "get-conversation": event("GET", "/api/v1/conversations/{id}/", f"/api/v1/conversations/{CONV_ID}/", params={"id": CONV_ID}),
    "list-conversation-messages": event("GET", "/api/v1/conversations/{id}/messages/", f"/api/v1/conversations/{CONV_ID}/messages/",
                                        params={"id": CONV_ID}),
    "get-message-media": event("GET", "/api/v1/conversations/{id}/messages/{messageId}/media/",
                               f"/api/v1/conversations/{CONV_ID}/messages/msg_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/media/",
                               params={"id": CONV_ID, "messageId": "msg_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}),
    "prompt-agent": event("POST", "/api/v1/conversations/{id}/prompt/", f"/api/v1/conversations/{CONV_ID}/prompt/",
                          params={"id": CONV_ID}, body=json.dumps({"prompt": "Offer the contact a tour this Saturday at 10:00."})),
    "send-prompt": event("POST", "/conversation/{conversationId}/prompt", f"/conversation/{CONV_ID}/prompt",
                         params={"conversationId": CONV_ID}, body=json.dumps({"prompt": "What is the best practice for securing API keys?"}),
                         api_key=False, headers={"authorization": "Bearer clq_00000000_replace-with-a-real-key"}),
    "takeover-conversation": event("POST", "/api/v1/conversations/{id}/takeover/", f"/api/v1/conversations/{CONV_ID}/takeover/",
                                   params={"id": CONV_ID}, body=json.dumps({"durationMinutes": 30})),
    "list-tool-calls": event("GET", "/api/v1/conversations/{id}/tool-calls/", f"/api/v1/conversations/{CONV_ID}/tool-calls/", params={"id": CONV_ID}),
    "approve-tool-call": event("POST", "/api/v1/tool-calls/{id}/approve/", f"/api/v1/tool-calls/{CONV_ID}.msg_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/approve/",
                               params={"id": f"{CONV_ID}.msg_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}),
    "reject-tool-call": event("POST", "/api/v1/tool-calls/{id}/reject/", f"/api/v1/tool-calls/{CONV_ID}.msg_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f/reject/",
                              params={"id": f"{CONV_ID}.msg_0193a6f2c1b07c3e8d2f4a5b6c7d8e9f"}, body=json.dumps({"reason": "We do not book viewings on Sundays."})),
    "analyze-conversation": event("POST", "/api/v1/conversations/{id}/analyze/", f"/api/v1/conversations/{CONV_ID}/analyze/", params={"id": CONV_ID}),
    "get-conversation-analysis": event("GET", "/api/v1/conversations/{id}/analysis/", f"/api/v1/conversations/{CONV_ID}/analysis/", params={"id": CONV_ID}),
    "done-conversation": event("POST", "/api/v1/conversations/{id}/done/", f"/api/v1/conversations/{CONV_ID}/done/",
                               params={"id": CONV_ID}),
    "handback-conversation": event("POST", "/api/v1/conversations/{id}/handback/", f"/api/v1/conversations/{CONV_ID}/handback/",
                                   params={"id": CONV_ID}),
    "list-dead-letters": event("GET", "/api/v1/dead-letters/", "/api/v1/dead-letters/"),
    "redrive-dead-letter": event("POST", "/api/v1/dead-letters/{id}/redrive/", "/api/v1/dead-letters/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e9f/redrive/",
                                 params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e9f"}),
    "list-event-deliveries": event("GET", "/api/v1/event-deliveries/", "/api/v1/event-deliveries/"),
    "replay-event-delivery": event("POST", "/api/v1/event-deliveries/{id}/replay/", "/api/v1/event-deliveries/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e90/replay/",
                                   params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e90"}),
    "list-audit-log": event("GET", "/api/v1/audit-log/", "/api/v1/audit-log/"),
    "export-contact": event("GET", "/api/v1/contacts/{waId}/export/", "/api/v1/contacts/16505551234/export/", params={"waId": "16505551234"}),
    "erase-contact": event("DELETE", "/api/v1/contacts/{waId}/", "/api/v1/contacts/16505551234/", params={"waId": "16505551234"}),
    "create-knowledge-base": event("POST", "/api/v1/knowledge-bases/", "/api/v1/knowledge-bases/", body='{"name": "Lease and house rules", "description": "What tenants of Maple Court ask about"}'),
    "list-knowledge-bases": event("GET", "/api/v1/knowledge-bases/", "/api/v1/knowledge-bases/"),
    "get-knowledge-base": event("GET", "/api/v1/knowledge-bases/{id}/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91"}),
    "update-knowledge-base": event("PATCH", "/api/v1/knowledge-bases/{id}/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91"}, body='{"description": "Maple Court: the lease, the house rules and the parking"}'),
    "delete-knowledge-base": event("DELETE", "/api/v1/knowledge-bases/{id}/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91"}),
    "add-knowledge-document": event("POST", "/api/v1/knowledge-bases/{id}/documents/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/documents/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91"}, body='{"name": "House rules.md", "text": "# House rules\\n\\nQuiet hours run from 22:00 to 07:00.\\n\\n## Pets\\n\\nCats and small dogs are welcome."}'),
    "list-knowledge-documents": event("GET", "/api/v1/knowledge-bases/{id}/documents/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/documents/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91"}),
    "get-knowledge-document": event("GET", "/api/v1/knowledge-bases/{id}/documents/{documentId}/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/documents/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91", "documentId": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92"}),
    "replace-knowledge-document": event("PUT", "/api/v1/knowledge-bases/{id}/documents/{documentId}/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/documents/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91", "documentId": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92"}, body='{"name": "House rules.md", "text": "# House rules\\n\\nQuiet hours run from 23:00 to 07:00."}'),
    "delete-knowledge-document": event("DELETE", "/api/v1/knowledge-bases/{id}/documents/{documentId}/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/documents/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91", "documentId": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92"}),
    "complete-knowledge-upload": event("POST", "/api/v1/knowledge-bases/{id}/documents/{documentId}/uploaded/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/documents/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92/uploaded/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91", "documentId": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e92"}),
    "search-knowledge-base": event("POST", "/api/v1/knowledge-bases/{id}/search/", "/api/v1/knowledge-bases/0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91/search/", params={"id": "0193a6f2-c1b0-7c3e-8d2f-4a5b6c7d8e91"}, body='{"query": "Can I keep a dog?", "limit": 3}'),
    "create-test-suite": event("POST", "/api/v1/test-suites/", "/api/v1/test-suites/", body=json.dumps(SUITE)),
    "list-test-suites": event("GET", "/api/v1/test-suites/", "/api/v1/test-suites/"),
    "get-test-suite": event("GET", "/api/v1/test-suites/{id}/", f"/api/v1/test-suites/{SUITE_ID}/", params={"id": SUITE_ID}),
    "update-test-suite": event("PATCH", "/api/v1/test-suites/{id}/", f"/api/v1/test-suites/{SUITE_ID}/", params={"id": SUITE_ID}, body='{"description": "Before any leasing prompt reaches production"}'),
    "delete-test-suite": event("DELETE", "/api/v1/test-suites/{id}/", f"/api/v1/test-suites/{SUITE_ID}/", params={"id": SUITE_ID}),
    "start-test-run": event("POST", "/api/v1/test-suites/{id}/runs/", f"/api/v1/test-suites/{SUITE_ID}/runs/", params={"id": SUITE_ID}, body=json.dumps({"agentId": AGENT_ID, "promptLabel": "staging"})),
    "get-test-run": event("GET", "/api/v1/test-suites/{id}/runs/{runId}/", f"/api/v1/test-suites/{SUITE_ID}/runs/{RUN_ID}/", params={"id": SUITE_ID, "runId": RUN_ID}),
})

WEBHOOK_BODY = (EVENTS / "whatsapp" / "text.json").read_text() if (EVENTS / "whatsapp" / "text.json").exists() else "{}"
FIXTURES.update({
    "whatsapp-webhook-verify": event("GET", "/webhooks/whatsapp", "/webhooks/whatsapp",
                                     query="hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=replace-with-the-verify-token",
                                     api_key=False, headers={"user-agent": "facebookplatform/1.0 (+http://developers.facebook.com)"}),
    "whatsapp-webhook": event("POST", "/webhooks/whatsapp", "/webhooks/whatsapp", body=WEBHOOK_BODY, api_key=False,
                              headers={"user-agent": "facebookexternalua", "x-hub-signature-256": "sha256=replace-with-the-signature-of-the-body"}),
})

if __name__ == "__main__":
    for name, e in FIXTURES.items():
        (EVENTS / f"{name}.json").write_text(json.dumps(e, indent=2) + "\n")
        print(f"events/{name}.json")
