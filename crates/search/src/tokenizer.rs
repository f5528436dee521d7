//! A tantivy tokenizer over jieba's search mode: 户籍人口基本信息 gives 户籍, 人口, 基本, 信息 and the longer words
//! that contain them, so a search for 人口信息 finds it. Latin letters are lowercased so codes and pinyin match
//! whatever their case.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// jieba's dictionary is parsed once per process (it takes a moment).
static JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| Arc::new(Jieba::new()));

/// The words of a query as jieba reads them (precise mode), lowercased, without punctuation.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in JIEBA.cut(text, true) {
        let w = w.word.trim().to_lowercase();
        if w.chars().any(|c| c.is_alphanumeric()) && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// The tokens the index holds for `text` (search mode), lowercased.
pub(crate) fn search_tokens(text: &str) -> Vec<String> {
    JIEBA
        .cut_for_search(text, true)
        .into_iter()
        .filter(|t| t.word.chars().any(|c| c.is_alphanumeric()))
        .map(|t| t.word.to_lowercase())
        .collect()
}

#[derive(Clone)]
pub struct ChineseTokenizer {
    jieba: Arc<Jieba>,
}

impl Default for ChineseTokenizer {
    fn default() -> Self {
        ChineseTokenizer { jieba: JIEBA.clone() }
    }
}

pub struct ChineseTokenStream {
    tokens: Vec<Token>,
    at: usize,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream {
        let tokens = self
            .jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| t.word.chars().any(|c| c.is_alphanumeric()))
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position,
                text: t.word.to_lowercase(),
                position_length: 1,
            })
            .collect();
        ChineseTokenStream { tokens, at: 0 }
    }
}

impl TokenStream for ChineseTokenStream {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut t = ChineseTokenizer::default();
        let mut stream = t.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn chinese_is_cut_into_searchable_words_and_punctuation_dropped() {
        let w = words("户籍人口基本信息，（公安局）");
        for expected in ["户籍", "人口", "基本", "信息", "公安局"] {
            assert!(w.contains(&expected.to_string()), "{expected} in {w:?}");
        }
        assert!(!w.iter().any(|t| t == "，" || t == "（"));
        assert!(words("ZJHM Xm").contains(&"zjhm".to_string()));
    }
}
