//! Agents and prompt versions, cached per container.

use super::*;

const AGENT_CACHE_TTL: Duration = Duration::from_secs(60);

/// Agents and prompt versions, cached per container: versions never change; agents and a
/// prompt's latest version are re-read after a minute, so a change reaches replies within it.
#[derive(Default)]
pub struct AgentCache {
    agents: TtlCache<String, Agent>,
    /// A prompt's latest version number, for agents that follow the latest.
    latest: TtlCache<String, u32>,
    versions: TtlCache<(String, u32), PromptVersion>,
}

/// Versions never change: kept as long as the container lives.
const FOREVER: Duration = Duration::MAX;

impl AgentCache {
    pub(super) async fn agent(
        &self,
        app: &App,
        workspace_id: &str,
        agent_id: &str,
    ) -> Result<Option<Agent>, StoreError> {
        let load = app.store.get_agent(workspace_id, agent_id);
        self.agents.get_or_load(agent_id.to_owned(), AGENT_CACHE_TTL, load).await
    }

    pub(super) async fn system_prompt(&self, app: &App, agent: &Agent) -> Result<Option<PromptVersion>, StoreError> {
        let number = match agent.prompt_version {
            Some(number) => number,
            None => {
                let load = async {
                    let prompt = app.store.get_prompt(&agent.workspace_id, &agent.prompt_id).await?;
                    Ok::<_, StoreError>(prompt.map(|prompt| prompt.latest_version))
                };
                match self.latest.get_or_load(agent.prompt_id.clone(), AGENT_CACHE_TTL, load).await? {
                    Some(number) => number,
                    None => return Ok(None),
                }
            }
        };
        let load = app.store.get_prompt_version(&agent.prompt_id, number);
        self.versions.get_or_load((agent.prompt_id.clone(), number), FOREVER, load).await
    }
}
