//! What wakes the agent worker: one message on the FIFO queue. It carries ids, never content; the
//! worker reads state from the table. The wire format is JSON tagged by `kind`; the turn kinds
//! keep the shape earlier versions wrote (`id`, `workspaceId`, `conversationId`), so triggers
//! queued across a deploy are still read.

use serde::{Deserialize, Serialize};

use crate::analysis::model::AnalysisCause;
use crate::model::{ConversationId, EventId, KnowledgeBaseId, TestRunId, WorkspaceId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A contact's message came in.
    InboundMessage(Turn),
    /// An operator asked the agent to act (`POST …/prompt/`, a takeover's end).
    OperatorPrompt(Turn),
    /// A user prompt through the API (Flashback's seed).
    UserPrompt(Turn),
    /// A tool call was approved, rejected or expired: the run resumes.
    ToolDecision(Turn),
    /// The conversation went quiet: the agent's next follow-up.
    FollowUp(FollowUpTrigger),
    /// Run the agent's analysis prompt over the transcript.
    Analysis(AnalysisTrigger),
    /// Deliver an outbound event to the workspace's webhook.
    Event(EventTrigger),
    /// A knowledge base's documents changed: index what is pending and move its snapshot.
    Knowledge(KnowledgeTrigger),
    /// Play one scenario of a test run in a sandbox conversation and record its result.
    TestScenario(TestScenarioTrigger),
}

/// A conversation has something new to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Turn {
    /// Unique per cause (an inbound wamid, a prompt, a decision): the queue drops a second
    /// trigger with the same id within its de-duplication window.
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpTrigger {
    #[serde(flatten)]
    pub turn: Turn,
    /// Which follow-up (1, 2, …).
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisTrigger {
    #[serde(flatten)]
    pub turn: Turn,
    pub cause: AnalysisCause,
    /// The newest message of the transcript it reads: one run per cause and transcript.
    pub through: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTrigger {
    /// The event's id.
    pub id: EventId,
    pub workspace_id: WorkspaceId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeTrigger {
    /// The change's id (a document and its content hash): the same change queued twice is
    /// dropped by the queue.
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub knowledge_base_id: KnowledgeBaseId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestScenarioTrigger {
    /// The run and the scenario's index: queued once per run.
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub run_id: TestRunId,
    /// Its index in the run's scenarios.
    pub scenario: u32,
    /// The conversation a scenario that ran out of time goes on in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
}

impl Turn {
    pub fn of(conversation: &crate::model::Conversation, id: &str) -> Self {
        Turn {
            id: id.to_owned(),
            workspace_id: conversation.workspace_id.clone(),
            conversation_id: conversation.id.clone(),
        }
    }
}

impl Trigger {
    /// The queue's de-duplication id.
    pub fn id(&self) -> &str {
        match self {
            Trigger::Event(event) => &event.id,
            Trigger::Knowledge(change) => &change.id,
            Trigger::TestScenario(scenario) => &scenario.id,
            _ => self.conversation().map_or("", |turn| turn.id.as_str()),
        }
    }

    pub fn workspace_id(&self) -> &str {
        match self {
            Trigger::Event(event) => &event.workspace_id,
            Trigger::Knowledge(change) => &change.workspace_id,
            Trigger::TestScenario(scenario) => &scenario.workspace_id,
            _ => self.conversation().map_or("", |turn| turn.workspace_id.as_str()),
        }
    }

    /// The conversation it is about; `None` for an event delivery.
    pub fn conversation(&self) -> Option<&Turn> {
        match self {
            Trigger::InboundMessage(turn)
            | Trigger::OperatorPrompt(turn)
            | Trigger::UserPrompt(turn)
            | Trigger::ToolDecision(turn) => Some(turn),
            Trigger::FollowUp(follow_up) => Some(&follow_up.turn),
            Trigger::Analysis(analysis) => Some(&analysis.turn),
            Trigger::Event(_) | Trigger::Knowledge(_) | Trigger::TestScenario(_) => None,
        }
    }

    /// The FIFO group it is ordered in: its conversation; an event is a group of its own (never
    /// a conversation's, so that a slow webhook does not hold replies back, and never behind
    /// another event, so that one failing delivery does not hold, and spend the tries of, the
    /// events queued after it: receivers order events by `createdAt`). A knowledge base's
    /// rebuilds are one group: one at a time, in order.
    pub fn group(&self) -> String {
        match self {
            Trigger::Event(event) => format!("event_{}", event.id),
            Trigger::Knowledge(change) => format!("knowledge_{}", change.knowledge_base_id),
            // Each scenario a group of its own: a run's scenarios are played at once.
            Trigger::TestScenario(scenario) => format!("test_{}_{}", scenario.run_id, scenario.scenario),
            _ => self.conversation().map(|turn| turn.conversation_id.to_string()).unwrap_or_default(),
        }
    }

    /// Its kind, as the wire format names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::InboundMessage(_) => "inbound_message",
            Trigger::OperatorPrompt(_) => "operator_prompt",
            Trigger::UserPrompt(_) => "user_prompt",
            Trigger::ToolDecision(_) => "tool_decision",
            Trigger::FollowUp(_) => "follow_up",
            Trigger::Analysis(_) => "analysis",
            Trigger::Event(_) => "event",
            Trigger::Knowledge(_) => "knowledge",
            Trigger::TestScenario(_) => "test_scenario",
        }
    }

    /// A turn of the conversation: one answer serves every turn stored before it.
    pub fn is_turn(&self) -> bool {
        matches!(
            self,
            Trigger::InboundMessage(_) | Trigger::OperatorPrompt(_) | Trigger::UserPrompt(_) | Trigger::ToolDecision(_)
        )
    }
}

/// Which receive of its trigger this is: the queue brings a failed trigger back, and dead-letters
/// it after `MAX_RECEIVES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    receive: u32,
}

impl Attempt {
    /// A trigger is put off for the quiet period at most this many receives, well before the
    /// dead-letter queue: a contact who never stops writing is still answered.
    pub const MAX_DEFERRALS: u32 = 3;
    /// The queue's redrive policy dead-letters a trigger after this many receives.
    pub const MAX_RECEIVES: u32 = 5;

    /// The `receive`th receive (the first is 1).
    pub fn receive(receive: u32) -> Self {
        Self { receive: receive.max(1) }
    }

    /// Which receive it is (the first is 1).
    pub fn number(self) -> u32 {
        self.receive
    }

    /// Whether the trigger may still be put off for the quiet period.
    pub fn may_wait(self) -> bool {
        self.receive < Self::MAX_DEFERRALS
    }

    /// The queue will not bring it back: media that Meta still fails to give is then told to the
    /// agent as unreadable, and a failure is recorded on the conversation.
    pub fn is_last(self) -> bool {
        self.receive >= Self::MAX_RECEIVES
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn turn() -> Turn {
        Turn { id: "wamid.1".into(), workspace_id: "ws".into(), conversation_id: "conv".into() }
    }

    #[test]
    fn triggers_written_by_the_previous_version_are_read() {
        let old = json!({"id": "wamid.1", "workspaceId": "ws", "conversationId": "conv", "kind": "inbound_message"});
        assert_eq!(serde_json::from_value::<Trigger>(old).ok(), Some(Trigger::InboundMessage(turn())));
        let old = json!({"id": "followup_conv_2", "workspaceId": "ws", "conversationId": "conv", "kind": "follow_up", "attempt": 2});
        let read = serde_json::from_value::<Trigger>(old).ok();
        assert!(matches!(read, Some(Trigger::FollowUp(FollowUpTrigger { attempt: 2, .. }))), "{read:?}");
        let old = json!({"id": "evt_1", "workspaceId": "ws", "conversationId": "events_ws", "kind": "event"});
        let read = serde_json::from_value::<Trigger>(old).ok();
        assert_eq!(read, Some(Trigger::Event(EventTrigger { id: "evt_1".into(), workspace_id: "ws".into() })));
    }

    #[test]
    fn every_kind_goes_through_the_queue_unchanged() {
        let triggers = [
            Trigger::InboundMessage(turn()),
            Trigger::OperatorPrompt(turn()),
            Trigger::UserPrompt(turn()),
            Trigger::ToolDecision(turn()),
            Trigger::FollowUp(FollowUpTrigger { turn: turn(), attempt: 3 }),
            Trigger::Analysis(AnalysisTrigger { turn: turn(), cause: AnalysisCause::Silence, through: "msg".into() }),
            Trigger::Event(EventTrigger { id: "evt".into(), workspace_id: "ws".into() }),
            Trigger::TestScenario(TestScenarioTrigger {
                id: "test-run.run.1".into(),
                workspace_id: "ws".into(),
                run_id: "run".into(),
                scenario: 1,
                conversation_id: Some("conv".into()),
            }),
        ];
        for trigger in triggers {
            let wire = serde_json::to_string(&trigger).expect("serialises");
            assert_eq!(serde_json::from_str::<Trigger>(&wire).ok().as_ref(), Some(&trigger), "{wire}");
        }
    }

    #[test]
    fn each_event_is_a_group_of_its_own_and_turns_are_ordered_per_conversation() {
        let event = Trigger::Event(EventTrigger { id: "evt".into(), workspace_id: "ws".into() });
        let next = Trigger::Event(EventTrigger { id: "evt2".into(), workspace_id: "ws".into() });
        assert_eq!((event.group(), event.id(), event.workspace_id()), ("event_evt".to_owned(), "evt", "ws"));
        assert_ne!(event.group(), next.group(), "one failing delivery does not hold the next back");
        assert!(!event.is_turn());
        let follow_up = Trigger::FollowUp(FollowUpTrigger { turn: turn(), attempt: 1 });
        assert_eq!((follow_up.group(), follow_up.id()), ("conv".to_owned(), "wamid.1"));
        assert!(!follow_up.is_turn());
        assert!(Trigger::ToolDecision(turn()).is_turn());
    }
}
