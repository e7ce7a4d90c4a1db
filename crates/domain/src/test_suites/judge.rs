//! The two LLM parts of a scenario beside the agent itself: the simulated contact, who plays a
//! persona towards a goal, and the judge, who scores a transcript against a rubric. Both use the
//! agent's provider and model, and say so in their first line (the local stand-in model knows
//! them by it).

use serde_json::Value;

use super::model::{Judge, Simulation};
use super::verdicts::Verdict;
use crate::model::Agent;
use crate::ports::{ChatReply, ChatRequest, ChatRole, ChatTurn, Llm, LlmError};

/// The first line of the simulated contact's instructions.
pub const CONTACT_OPENING: &str =
    "You are playing a contact who writes to a business on WhatsApp, to test its AI agent.";
/// The first line of the judge's instructions.
pub const JUDGE_OPENING: &str = "You are judging a conversation between a business's AI agent and a contact.";
/// What the simulated contact answers when its goal is reached (or cannot be).
pub const DONE: &str = "DONE";
/// What a judge's answer may take.
const JUDGE_MAX_TOKENS: u32 = 400;
const CONTACT_MAX_TOKENS: u32 = 300;

/// A line of the conversation so far: who wrote it (`true`: the contact) and what.
pub type Said = (bool, String);

/// The simulated contact's next message; `None` when it is done.
pub async fn contact_writes(
    llm: &dyn Llm,
    agent: &Agent,
    simulation: &Simulation,
    so_far: &[Said],
) -> Result<(Option<String>, ChatReply), LlmError> {
    let system = format!(
        "{CONTACT_OPENING}\nWho you are: {}\nWhat you want: {}\nWrite only your next message, short, as a person on WhatsApp would. When what you want is done, or clearly cannot be, answer exactly {DONE}.",
        simulation.persona, simulation.goal
    );
    // The contact is the assistant here: the agent's replies are what it answers.
    let mut turns: Vec<ChatTurn> = Vec::new();
    for (by_contact, text) in so_far {
        let role = if *by_contact { ChatRole::Assistant } else { ChatRole::User };
        match turns.last_mut() {
            Some(last) if last.role == role => {
                last.content.push('\n');
                last.content.push_str(text);
            }
            _ => turns.push(ChatTurn::text(role, text.clone())),
        }
    }
    if turns.first().is_none_or(|turn| turn.role == ChatRole::Assistant) {
        turns.insert(0, ChatTurn::text(ChatRole::User, "(write your first message)"));
    }
    let mut request = ChatRequest::for_agent(agent, system, None, turns);
    request.max_tokens = CONTACT_MAX_TOKENS;
    let reply = llm.complete(&request).await?;
    let text = reply.text.trim();
    let done = text.is_empty() || text.trim_end_matches('.').eq_ignore_ascii_case(DONE);
    Ok((if done { None } else { Some(text.to_owned()) }, reply))
}

/// The judge's verdict on `transcript` against the rubric: passed at the pass mark.
pub async fn judge(
    llm: &dyn Llm,
    agent: &Agent,
    judge: &Judge,
    transcript: &str,
) -> Result<(Verdict, ChatReply), LlmError> {
    let system = format!(
        "{JUDGE_OPENING}\nScore the conversation from 0 to 10 against the rubric below. Answer with a JSON object only: {{\"score\": <0-10>, \"why\": \"<one or two sentences>\"}}.\n\nRubric:\n{}",
        judge.rubric
    );
    let turns = vec![ChatTurn::text(ChatRole::User, transcript.to_owned())];
    let mut request = ChatRequest::for_agent(agent, system, None, turns).as_json(true);
    request.max_tokens = JUDGE_MAX_TOKENS;
    let reply = llm.complete(&request).await?;
    Ok((verdict_of(&reply.text, judge.pass_mark), reply))
}

/// The judge's answer read: a score from 0 to 10 and why; anything else fails, saying what came.
pub fn verdict_of(answer: &str, pass_mark: f64) -> Verdict {
    let object = answer.find('{').zip(answer.rfind('}')).and_then(|(start, end)| answer.get(start..=end));
    let read: Option<Value> = object.and_then(|text| serde_json::from_str(text).ok());
    let score = read.as_ref().and_then(|value| value["score"].as_f64()).filter(|score| (0.0..=10.0).contains(score));
    let Some(score) = score else {
        let excerpt: String = answer.chars().take(200).collect();
        return Verdict {
            passed: false, why: format!("the judge's answer has no score from 0 to 10: “{excerpt}”")
        };
    };
    let why = read.as_ref().and_then(|value| value["why"].as_str()).unwrap_or("no reason given");
    let why: String = why.chars().take(500).collect();
    Verdict { passed: score >= pass_mark, why: format!("the judge scored {score}/10 (pass mark {pass_mark}): {why}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_score_at_the_pass_mark_passes_and_below_it_fails() {
        let at = verdict_of(r#"{"score": 7, "why": "Offered Saturday."}"#, 7.0);
        let below = verdict_of(r#"Here you go: {"score": 6.5, "why": "Vague."} Hope it helps"#, 7.0);
        assert!(at.passed, "{at:?}");
        assert_eq!(at.why, "the judge scored 7/10 (pass mark 7): Offered Saturday.");
        assert!(!below.passed);
        assert!(below.why.starts_with("the judge scored 6.5/10"), "{}", below.why);
    }

    #[test]
    fn an_answer_without_a_score_in_range_fails_and_says_what_came() {
        for answer in ["I liked it", r#"{"score": 11}"#, r#"{"score": -1}"#, r#"{"score": "9"}"#, "}{", ""] {
            let verdict = verdict_of(answer, 0.0);
            assert!(!verdict.passed, "{answer}");
            assert!(verdict.why.contains("no score from 0 to 10"), "{}", verdict.why);
        }
        assert!(verdict_of(r#"{"score": 0}"#, 0.0).why.contains("no reason given"));
    }

    /// Answers `text` and keeps each request.
    struct Recording {
        text: String,
        requests: std::sync::Mutex<Vec<ChatRequest>>,
    }

    #[async_trait::async_trait]
    impl Llm for Recording {
        async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
            if let Ok(mut requests) = self.requests.lock() {
                requests.push(request.clone());
            }
            Ok(ChatReply { text: self.text.clone(), input_tokens: 10, output_tokens: 2, ..ChatReply::default() })
        }
    }

    fn llm(text: &str) -> Recording {
        Recording { text: text.into(), requests: Default::default() }
    }

    fn agent() -> Agent {
        Agent::sample()
    }

    fn simulation() -> Simulation {
        Simulation { persona: "A busy tenant".into(), goal: "Book Saturday".into(), max_turns: 3 }
    }

    #[tokio::test]
    async fn the_simulated_contact_answers_the_agent_and_stops_when_done() {
        let said = vec![
            (true, "Hi".to_owned()),
            (true, "Saturday?".to_owned()),
            (false, "Hello!".to_owned()),
            (false, "Which time?".to_owned()),
        ];
        let writing = llm("  Ten, please. ");

        let (next, reply) = contact_writes(&writing, &agent(), &simulation(), &said).await.unwrap_or_default();
        let (done, _) = contact_writes(&llm("done."), &agent(), &simulation(), &said).await.unwrap_or_default();
        let (silent, _) = contact_writes(&llm(" "), &agent(), &simulation(), &[]).await.unwrap_or_default();

        assert_eq!((next.as_deref(), reply.input_tokens), (Some("Ten, please."), 10));
        assert_eq!((done, silent), (None, None), "DONE (any case, a full stop) or nothing ends the contact");
        let requests = writing.requests.lock().map(|r| r.clone()).unwrap_or_default();
        let request = &requests[0];
        assert!(request.system.starts_with(CONTACT_OPENING));
        assert!(
            request.system.contains("Who you are: A busy tenant\nWhat you want: Book Saturday"),
            "{}",
            request.system
        );
        let turns: Vec<(ChatRole, &str)> = request.turns.iter().map(|t| (t.role, t.content.as_str())).collect();
        assert_eq!(
            turns,
            [
                (ChatRole::User, "(write your first message)"),
                (ChatRole::Assistant, "Hi\nSaturday?"),
                (ChatRole::User, "Hello!\nWhich time?"),
            ],
            "the contact is the assistant; its and the agent's lines alternate"
        );
        assert_eq!(request.max_tokens, CONTACT_MAX_TOKENS);
    }

    #[tokio::test]
    async fn the_judge_reads_the_rubric_and_the_transcript_and_answers_json() {
        let judging = llm(r#"{"score": 8, "why": "Good."}"#);
        let rubric = Judge { rubric: "Confirms the day".into(), pass_mark: 7.0 };

        let judged = judge(&judging, &agent(), &rubric, "Contact: Hi\nAgent: Saturday it is\n").await;
        let (verdict, reply) = judged.expect("the fake LLM answers");

        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(reply.output_tokens, 2);
        let requests = judging.requests.lock().map(|r| r.clone()).unwrap_or_default();
        let request = &requests[0];
        assert!(request.system.starts_with(JUDGE_OPENING) && request.system.ends_with("Rubric:\nConfirms the day"));
        assert!(request.json && request.tools.is_empty());
        assert_eq!(request.turns[0].content, "Contact: Hi\nAgent: Saturday it is\n");
        assert_eq!(request.max_tokens, JUDGE_MAX_TOKENS);
    }

    proptest! {
        #[test]
        fn any_answer_is_read_without_panicking(answer in ".{0,300}", mark in 0.0f64..=10.0) {
            let verdict = verdict_of(&answer, mark);
            prop_assert!(verdict.why.chars().count() < 800);
        }
    }
}
