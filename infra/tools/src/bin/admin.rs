//! `colloquy-admin`: what only an operator of the deployment does, with the AWS configuration of
//! the environment (`TABLE_NAME`, credentials, optionally `AWS_ENDPOINT_URL`):
//!
//! - `create-workspace <name>`: creates a workspace and prints its first admin key, the one key
//!   that cannot come from the API;
//! - `migrate-conversations`: moves conversations written by versions before 0.3 into their own
//!   partitions (one read loads a conversation with its history) and onto the console's activity
//!   index (once, right after upgrading; safe to repeat);
//! - `index-contacts`: indexes conversations written by versions before 0.5 under their contact,
//!   which a contact's export and erasure read (once, right after upgrading; safe to repeat).

use std::process::ExitCode;

use colloquy_adapters::config::required;
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_domain::workspaces::create_workspace;

const USAGE: &str =
    "usage: colloquy-admin create-workspace <name> | colloquy-admin migrate-conversations | colloquy-admin index-contacts";

enum Command {
    CreateWorkspace(String),
    MigrateConversations,
    IndexContacts,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.as_slice() {
        [command, name] if command == "create-workspace" => Command::CreateWorkspace(name.clone()),
        [command] if command == "migrate-conversations" => Command::MigrateConversations,
        [command] if command == "index-contacts" => Command::IndexContacts,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let table = match required("TABLE_NAME", "the DynamoDB table that holds Colloquy's state") {
        Ok(table) => table,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let aws = match colloquy_adapters::aws::load().await {
        Ok(aws) => aws,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(1);
        }
    };
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table);
    match command {
        Command::CreateWorkspace(name) => {
            match create_workspace(&store, &name, time::OffsetDateTime::now_utc()).await {
                Ok((workspace, issued)) => {
                    println!("workspace: {} ({})", workspace.id, workspace.name);
                    println!("admin key (shown once; store it now): {}", issued.plaintext);
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("could not create the workspace: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::MigrateConversations => match store.migrate_conversations().await {
            Ok(moved) => {
                println!("{moved} conversations moved to the current layout");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("the migration stopped: {err}; run it again to go on");
                ExitCode::FAILURE
            }
        },
        Command::IndexContacts => match store.index_contacts().await {
            Ok(indexed) => {
                println!("{indexed} conversations indexed under their contacts");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("the indexing stopped: {err}; run it again to go on");
                ExitCode::FAILURE
            }
        },
    }
}
