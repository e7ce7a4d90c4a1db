//! The hostile-file corpus (`tests/hostile/files/`, made by `make_corpus.py`) through the
//! worker's real file reader: every file is answered within the reader's limits, the ones built
//! to kill a parser are unreadable with a reason, and this process (the worker's stand-in)
//! survives all of them. A document that kills the parser is still answered in a conversation.

use std::time::{Duration, Instant};

use colloquy_adapters::reading::ReaderLimits;
use colloquy_domain::ports::FileReader;
use colloquy_tests::{meta_payload, project_root, test_reader};
use serde_json::Value;
use sha2::Digest;

use crate::agent_loop::agent_loop;
use crate::media::{serve, DOCUMENT_ID};

fn corpus() -> Vec<(String, String, Vec<u8>)> {
    let dir = project_root().join("tests/hostile/files");
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json")).expect("json");
    let entries = index.as_object().expect("an object of file → expectation");
    assert!(entries.len() >= 15, "the corpus lost files: {}", entries.len());
    entries
        .iter()
        .map(|(name, expect)| {
            let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|err| panic!("{name}: {err}"));
            (name.clone(), expect.as_str().unwrap_or_default().to_owned(), bytes)
        })
        .collect()
}

#[tokio::test]
async fn every_hostile_file_is_answered_within_the_limits_and_the_killers_are_unreadable() {
    let limits = ReaderLimits::default();
    let reader = std::sync::Arc::new(test_reader(limits));
    let mut runs = tokio::task::JoinSet::new();
    for (name, expect, bytes) in corpus() {
        let reader = reader.clone();
        runs.spawn(async move {
            let started = Instant::now();
            let answer = if name.ends_with(".pdf") {
                reader.pdf_text(bytes).await.map(|text| text.len())
            } else {
                reader.image_as_jpeg(bytes, 1024).await.map(|jpeg| jpeg.len())
            };
            (name, expect, answer, started.elapsed())
        });
    }
    let mut unreadable = 0;
    while let Some(run) = runs.join_next().await {
        let (name, expect, answer, took) = run.expect("the reading task ends");
        assert!(took < limits.wall + Duration::from_secs(2), "{name} took {took:?}");
        match (expect.as_str(), &answer) {
            ("unreadable", Err(why)) => {
                assert!(!why.0.is_empty(), "{name}: an empty reason");
                unreadable += 1;
            }
            ("unreadable", Ok(len)) => panic!("{name} should be unreadable, but {len} bytes were read"),
            ("answers", _) => {}
            (other, _) => panic!("{name}: unknown expectation {other}"),
        }
        eprintln!("{name}: {answer:?} in {took:?}");
    }
    assert!(unreadable >= 12, "{unreadable} unreadable");
}

#[tokio::test]
async fn the_readers_reasons_say_what_the_file_did() {
    let reader = test_reader(ReaderLimits::default());
    let read = |name: &str| std::fs::read(project_root().join("tests/hostile/files").join(name)).expect("corpus file");
    let deep = reader.pdf_text(read("nested-array-200000.pdf")).await.expect_err("too deep");
    assert_eq!(deep.0, "it nests too deeply to read");
    // The memory limit is what stops a bomb; a machine busy with other work must not let the
    // wall-clock limit (tested below) end it first.
    let patient = test_reader(ReaderLimits { wall: Duration::from_secs(120), ..ReaderLimits::default() });
    let bomb = patient.pdf_text(read("zeros-bomb.pdf")).await.expect_err("a bomb");
    assert_eq!(bomb.0, "reading it needs more than 512 MB of memory");
    let slow = test_reader(ReaderLimits { cpu_seconds: 1, ..ReaderLimits::default() });
    let flood = slow.pdf_text(read("operator-flood.pdf")).await.expect_err("a flood");
    assert!(flood.0.starts_with("reading it"), "{flood:?}");
    let stalled = test_reader(ReaderLimits { wall: Duration::from_millis(1), ..ReaderLimits::default() });
    let late = stalled.pdf_text(read("nested-array-300.pdf")).await.expect_err("late");
    assert_eq!(late.0, "reading it took longer than 0 s");
}

#[tokio::test]
async fn a_pdf_that_kills_the_parser_is_recorded_unreadable_and_the_contact_is_answered() {
    let l = agent_loop().await;
    let killer = std::fs::read(project_root().join("tests/hostile/files/nested-array-200000.pdf")).expect("corpus");
    serve(&l, DOCUMENT_ID, "application/pdf", killer.clone(), None).await;
    crate::media::replies(&l, "I could not open that file, could you send it as text?").await;

    let announced = hex::encode(sha2::Sha256::digest(&killer));
    let lease = hex::encode(sha2::Sha256::digest(crate::media::fixture("lease.pdf")));
    let payload = meta_payload("document").replace(&lease, &announced);
    assert!(payload.contains(&announced), "the fixture announces the lease's checksum in hex");
    l.inbox.deliver(&payload).await;
    l.run_worker().await;

    let stored = crate::media::inbound(&l).await;
    assert_eq!(stored["media"]["status"], "stored", "kept, though it could not be read: {stored}");
    assert_eq!(stored["media"]["failure"], "the PDF could not be read: it nests too deeply to read", "{stored}");
    let chats = crate::media::chats(&l).await;
    assert_eq!(chats.len(), 1, "the contact is answered once");
    let told = crate::media::last_user_content(&chats[0]);
    assert!(told.as_str().is_some_and(|t| t.contains("could not")), "{told}");
}
