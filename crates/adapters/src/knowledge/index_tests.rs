use proptest::prelude::*;

use super::*;

fn chunk(document: &str, heading: &str, page: Option<u32>, text: &str) -> Chunk {
    Chunk {
        document_id: DocumentId::from_raw(document),
        document_name: format!("{document}.md"),
        heading: heading.to_owned(),
        page,
        text: text.to_owned(),
        embedding: None,
    }
}

fn corpus() -> Vec<Chunk> {
    vec![
        chunk("lease", "Lease › Pets", None, "Cats are welcome. Dogs under ten kilograms are allowed with a deposit."),
        chunk("lease", "Lease › Parking", None, "Each flat has one parking space in the garage."),
        chunk("rules", "House rules", Some(3), "Quiet hours run from 22:00 to 07:00 every day."),
    ]
}

#[test]
fn a_built_snapshot_loads_and_finds_chunks_by_their_words_stems_and_headings() {
    let loaded = load(&build(&corpus()).expect("built")).expect("loaded");

    let dogs = loaded.search(&Query::words("Can I bring my dog?"), 3).expect("searched");
    let parking = loaded.search(&Query::words("parking"), 1).expect("searched");
    let quiet = loaded.search(&Query::words("when are the quiet hours"), 1).expect("searched");

    assert_eq!(dogs[0].chunk.heading, "Lease › Pets", "stemmed: dog ~ dogs");
    assert_eq!(parking[0].chunk.text, "Each flat has one parking space in the garage.");
    assert_eq!((quiet[0].chunk.document_id.as_str(), quiet[0].chunk.page), ("rules", Some(3)));
    assert_eq!(quiet[0].chunk.document_name, "rules.md");
    assert!(dogs.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn words_in_no_chunk_find_nothing_and_an_empty_index_answers_empty() {
    let loaded = load(&build(&corpus()).expect("built")).expect("loaded");
    let empty = load(&build(&[]).expect("built")).expect("loaded");

    assert!(loaded.search(&Query::words("xylophone"), 5).expect("searched").is_empty());
    assert!(empty.search(&Query::words("parking"), 5).expect("searched").is_empty());
}

#[test]
fn query_syntax_in_a_contacts_words_is_read_as_words() {
    let loaded = load(&build(&corpus()).expect("built")).expect("loaded");

    for query in ["a:*\t", "text:parking", "\"unclosed", "Is it NOT parking", "parking [IN]", "*", "(parking"] {
        assert!(loaded.search(&Query::words(query), 5).is_ok(), "{query}");
    }
    let negated = loaded.search(&Query::words("NOT parking"), 5).expect("searched");
    assert!(!negated.is_empty(), "NOT is a word here, not an operator");
}

#[test]
fn a_blob_that_is_not_a_snapshot_is_refused() {
    let blob = build(&corpus()).expect("built");

    assert!(load(b"").is_err());
    assert!(load(b"PK\x03\x04").is_err());
    assert!(load(&blob[..blob.len() - 7]).is_err());
    let mut lying = MAGIC.to_vec();
    lying.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(load(&lying).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any query text searches (the query language's syntax errors are read as words).
    #[test]
    fn any_query_is_answered(query in "[^\\x00]{0,200}") {
        let loaded = load(&build(&corpus()).expect("built")).expect("loaded");
        prop_assert!(loaded.search(&Query::words(&query), 5).is_ok());
    }

    /// Any bytes after the magic: refused or loaded, never a panic.
    #[test]
    fn any_blob_is_refused_or_loaded(tail in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut blob = MAGIC.to_vec();
        blob.extend(tail);
        let _ = load(&blob);
    }
}

#[test]
fn a_questions_filler_words_do_not_outrank_what_it_asks_about() {
    let chunks = vec![
        chunk("amenities", "Amenities › Gym", None, "The gym in the basement opens at six every morning."),
        chunk(
            "lease",
            "",
            Some(1),
            "Lease agreement\nTenant: Anna Schmidt\nRent: 1,200 EUR per month\nDeposit: 3,600 EUR",
        ),
    ];
    let loaded = load(&build(&chunks).expect("built")).expect("loaded");

    let hits = loaded.search(&Query::words("How much is the deposit?"), 5).expect("searched");

    let found: Vec<&str> = hits.iter().map(|h| h.chunk.document_id.as_str()).collect();
    assert_eq!(found, vec!["lease"], "`the` and `is` are not words to search by");
}
