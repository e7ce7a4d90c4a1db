use proptest::prelude::*;

use super::*;

fn one_page(text: &str) -> Vec<Page> {
    vec![Page { number: None, text: text.to_owned() }]
}

#[test]
fn sections_keep_their_heading_path_and_never_share_a_chunk() {
    let text = "# Lease\n\nIntro to the lease.\n\n## Pets\n\nCats are welcome.\nDogs under 10 kg too.\n\n## Parking\n\nOne space per flat.\n\n# House rules\n\nQuiet after 22:00.";

    let pieces = split(&one_page(text), 100);

    let found: Vec<(Vec<&str>, &str)> =
        pieces.iter().map(|p| (p.headings.iter().map(String::as_str).collect(), p.text.as_str())).collect();
    assert_eq!(
        found,
        vec![
            (vec!["Lease"], "Intro to the lease."),
            (vec!["Lease", "Pets"], "Cats are welcome.\nDogs under 10 kg too."),
            (vec!["Lease", "Parking"], "One space per flat."),
            (vec!["House rules"], "Quiet after 22:00."),
        ]
    );
}

#[test]
fn a_long_section_is_cut_at_sentences_and_each_chunk_repeats_the_end_of_the_one_before() {
    let sentence = "The deposit is returned within thirty days of the end of the lease. ";
    let text = format!("## Deposit\n\n{}", sentence.repeat(40));

    let pieces = split(&one_page(&text), 100);

    assert!(pieces.len() >= 3, "{}", pieces.len());
    for piece in &pieces {
        assert!(piece.text.chars().count() <= MAX_CHUNK_CHARS, "{}", piece.text.len());
        assert!(piece.text.trim_end().ends_with('.'), "cut at a sentence: {:?}", piece.text);
        assert_eq!(piece.headings, vec!["Deposit"]);
    }
    for pair in pieces.windows(2) {
        let overlap = tail(&pair[0].text, OVERLAP_CHARS);
        assert!(!overlap.is_empty() && pair[1].text.starts_with(overlap), "{overlap:?}");
    }
}

#[test]
fn pages_are_kept_and_a_heading_carries_over_to_the_next_page() {
    let pages = vec![
        Page { number: Some(1), text: "# Rules\n\nNo smoking.".into() },
        Page { number: Some(2), text: "Bins go out on Monday.".into() },
    ];

    let pieces = split(&pages, 100);

    assert_eq!(pieces.len(), 2);
    assert_eq!((pieces[0].page, pieces[1].page), (Some(1), Some(2)));
    assert_eq!(pieces[1].headings, vec!["Rules"]);
}

#[test]
fn what_is_not_a_heading_stays_text() {
    let pieces = split(&one_page("#hashtag\n####### seven\n# \nplain"), 10);

    assert_eq!(pieces.len(), 1);
    assert!(pieces[0].headings.is_empty());
    assert_eq!(pieces[0].text, "#hashtag\n####### seven\n# \nplain");
}

#[test]
fn a_word_longer_than_a_chunk_is_cut_anywhere_and_the_count_is_bounded() {
    let text = "x".repeat(MAX_CHUNK_CHARS * 5);

    let pieces = split(&one_page(&text), 3);

    assert_eq!(pieces.len(), 3);
    assert!(pieces.iter().all(|p| p.text.chars().count() <= MAX_CHUNK_CHARS));
}

#[test]
fn empty_and_blank_documents_have_no_chunks() {
    assert!(split(&one_page(""), 10).is_empty());
    assert!(split(&one_page(" \n\n\t\n"), 10).is_empty());
    assert!(split(&one_page("# Only a heading"), 10).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any text: no panic, chunks within their size and count, and every word is in a chunk.
    #[test]
    fn any_text_is_split_without_loss(
        text in prop::collection::vec(prop_oneof![
            Just("\n".to_owned()), Just("\n\n".to_owned()), Just("# ".to_owned()), Just("## H ".to_owned()),
            Just(". ".to_owned()), "[a-zé漢]{1,30}", " {1,3}", "[^\\x00]{0,40}",
        ], 0..200).prop_map(|parts| parts.concat()),
        max_chunks in 1usize..400,
    ) {
        let pieces = split(&one_page(&text), max_chunks);

        prop_assert!(pieces.len() <= max_chunks);
        for piece in &pieces {
            prop_assert!(piece.text.chars().count() <= MAX_CHUNK_CHARS);
            prop_assert!(!piece.text.trim().is_empty());
        }
        if pieces.len() < max_chunks {
            let indexed: String = pieces.iter().map(|p| format!("{} {}\n", p.headings.join(" "), p.text)).collect();
            // A heading's words are in the path of the chunks under it; one with none is dropped.
            let body = text.lines().filter(|line| heading(line.trim()).is_none());
            for word in body.flat_map(str::split_whitespace) {
                prop_assert!(indexed.contains(word), "{word:?} was lost");
            }
        }
    }
}
