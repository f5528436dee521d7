//! Full-text search of the published catalog: a tantivy index in a folder of its own, Chinese text cut by jieba,
//! facet counts for provider, region, industry, share and open attributes, format and security level.
//!
//! The index is derived data. The control-plane store is the truth; every change there takes the next value of
//! the catalog's change counter, and the index records the last value it applied in its commit, so a node
//! catches up by applying what changed since (and rebuilds when the index is missing, of another schema, or
//! ahead of the store). Only this crate knows tantivy.

mod tokenizer;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::{Count, FacetCollector, MultiCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, STORED, STRING};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

pub use tokenizer::ChineseTokenizer;

/// Bumped whenever the schema changes, so an old index is rebuilt rather than misread.
const SCHEMA_VERSION: &str = "catalog-v2";
const TOKENIZER: &str = "zh";
const WRITER_MEMORY: usize = 50_000_000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A published entry as the index holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    pub code: String,
    pub name: String,
    pub summary: String,
    /// Items' labels, column names and descriptions.
    pub items: String,
    /// Business and system names, provider name, industry, classification: found, weighted low.
    pub other: String,
    pub provider_id: i64,
    pub region_code: String,
    pub industry: String,
    pub share_attr: String,
    pub open_attr: String,
    pub format: String,
    pub security_level: String,
    pub published_at_us: i64,
    /// 民生紧密相关、社会迫切需要: listed first (LS-21b, SYS-36a).
    pub priority: bool,
}

/// The facet dimensions, as the API names them.
pub const FACETS: [&str; 7] = ["provider", "region", "industry", "share_attr", "open_attr", "format", "security_level"];

/// What to find.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words to look for; empty lists everything (priority entries first, then newest).
    pub text: String,
    /// Facet dimension → the value it must have (for example `share_attr` → `conditional`).
    pub filters: Vec<(String, String)>,
    /// Only entries in the open catalog (open attribute unconditional or conditional).
    pub open_only: bool,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    pub codes: Vec<String>,
    pub total: usize,
    /// Facet dimension → (value, count) for the entries that match, most first.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

struct Fields {
    code: Field,
    name: Field,
    summary: Field,
    items: Field,
    other: Field,
    /// Priority first, then newest: what a search without words is ordered by.
    rank: Field,
    facets: Vec<(&'static str, Field)>,
}

pub struct CatalogIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqsAndPositions));
    let code = b.add_text_field("code", STRING | STORED | FAST);
    let name = b.add_text_field("name", text.clone());
    let summary = b.add_text_field("summary", text.clone());
    let items = b.add_text_field("items", text.clone());
    let other = b.add_text_field("other", text);
    let rank = b.add_u64_field("rank", FAST);
    let facets = FACETS.iter().map(|f| (*f, b.add_facet_field(f, FacetOptions::default()))).collect();
    (b.build(), Fields { code, name, summary, items, other, rank, facets })
}

impl CatalogIndex {
    /// Opens the index in `dir`, creating it (or recreating it, when it has another schema) as needed.
    pub fn open(dir: &Path) -> Result<CatalogIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) | Err(_) => {
                // Another schema, or no index: start afresh; the caller rebuilds it from the store.
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.is_file() {
                        std::fs::remove_file(path)?;
                    }
                }
                Index::create_in_dir(dir, schema)?
            }
        };
        index.tokenizers().register(TOKENIZER, TextAnalyzer::builder(ChineseTokenizer::default()).build());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(WRITER_MEMORY)?;
        Ok(CatalogIndex { index, reader, writer: Mutex::new(writer), fields })
    }

    /// The last change the index applied, or none when it must be built from scratch.
    pub fn applied_seq(&self) -> Result<Option<i64>> {
        let payload = self.index.load_metas()?.payload;
        Ok(payload
            .as_deref()
            .and_then(|p| p.strip_prefix(SCHEMA_VERSION))
            .and_then(|p| p.strip_prefix(':'))
            .and_then(|n| n.parse().ok()))
    }

    /// Applies changes up to `seq`: `upserts` replace (or add) entries, `removals` take codes out. One commit.
    pub fn apply(&self, upserts: &[Doc], removals: &[String], seq: i64) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for code in removals.iter().chain(upserts.iter().map(|d| &d.code)) {
            writer.delete_term(Term::from_field_text(self.fields.code, code));
        }
        for d in upserts {
            writer.add_document(self.document(d))?;
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&format!("{SCHEMA_VERSION}:{seq}"));
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Empties the index, to rebuild it.
    pub fn clear(&self) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&format!("{SCHEMA_VERSION}:0"));
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// How many entries the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, d: &Doc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.code, &d.code);
        doc.add_text(f.name, &d.name);
        doc.add_text(f.summary, &d.summary);
        doc.add_text(f.items, &d.items);
        doc.add_text(f.other, format!("{} {}", d.other, d.code));
        // Publication times stay below 2^53 µs for millennia, so the priority bit above them decides first.
        doc.add_u64(f.rank, (u64::from(d.priority) << 60) | d.published_at_us.max(0) as u64);
        for (name, field) in &f.facets {
            let value = match *name {
                "provider" => d.provider_id.to_string(),
                "region" => d.region_code.clone(),
                "industry" => d.industry.clone(),
                "share_attr" => d.share_attr.clone(),
                "open_attr" => d.open_attr.clone(),
                "format" => d.format.clone(),
                _ => d.security_level.clone(),
            };
            if !value.is_empty() {
                doc.add_facet(*field, Facet::from_path([value]));
            }
        }
        doc
    }

    /// Finds entries. Malformed query syntax never fails: what cannot be parsed is searched as plain words.
    pub fn search(&self, q: &SearchQuery) -> Result<Hits> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let text = q.text.trim();
        if !text.is_empty() {
            clauses.push((Occur::Must, self.text_query(text)));
        }
        for (dimension, value) in &q.filters {
            if let Some((_, field)) = f.facets.iter().find(|(n, _)| n == dimension) {
                let term = Term::from_facet(*field, &Facet::from_path([value.as_str()]));
                clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
            }
        }
        if q.open_only {
            let (_, open) = f.facets.iter().find(|(n, _)| *n == "open_attr").expect("open_attr facet");
            let either: Vec<(Occur, Box<dyn Query>)> = ["unconditional", "conditional"]
                .iter()
                .map(|v| {
                    let term = Term::from_facet(*open, &Facet::from_path([*v]));
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
        let query: Box<dyn Query> = if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) };

        let limit = q.limit.clamp(1, 1000);
        let mut multi = MultiCollector::new();
        let count = multi.add_collector(Count);
        let mut facet_handles = Vec::new();
        for (name, field) in &f.facets {
            let mut c = FacetCollector::for_field(searcher.schema().get_field_name(*field));
            c.add_facet(Facet::root());
            facet_handles.push((*name, multi.add_collector(c)));
        }
        let (codes, mut fruits) = if text.is_empty() {
            let top = TopDocs::with_limit(limit).and_offset(q.offset).order_by_u64_field("rank", Order::Desc);
            let handle = multi.add_collector(top);
            let mut fruits = searcher.search(&query, &multi)?;
            let docs = handle.extract(&mut fruits);
            (self.codes(&searcher, docs.into_iter().map(|(_, a)| a))?, fruits)
        } else {
            let handle = multi.add_collector(TopDocs::with_limit(limit).and_offset(q.offset));
            let mut fruits = searcher.search(&query, &multi)?;
            let docs = handle.extract(&mut fruits);
            (self.codes(&searcher, docs.into_iter().map(|(_, a)| a))?, fruits)
        };
        let total = count.extract(&mut fruits);
        let mut facets = BTreeMap::new();
        for (name, handle) in facet_handles {
            let counts = handle.extract(&mut fruits);
            let mut values: Vec<(String, u64)> = counts
                .get(Facet::root())
                .map(|(facet, n)| (facet.to_path().last().map(|s| s.to_string()).unwrap_or_default(), n))
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            facets.insert(name.to_string(), values);
        }
        Ok(Hits { codes, total, facets })
    }

    /// Every word of the text must be found, in any field. The text is cut into words the way jieba reads it;
    /// a word matches where the index holds it whole, or holds all the shorter words it is made of (the text may
    /// have been cut differently where it was indexed). No query syntax: nothing the user types can fail.
    fn text_query(&self, text: &str) -> Box<dyn Query> {
        let f = &self.fields;
        let fields = [(f.name, 4.0), (f.summary, 1.0), (f.items, 1.5), (f.other, 0.5)];
        let mut words: Vec<Box<dyn Query>> = Vec::new();
        for word in tokenizer::words(text).into_iter().take(32) {
            let parts: Vec<String> = tokenizer::search_tokens(&word).into_iter().filter(|p| *p != word).collect();
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in fields {
                let whole = TermQuery::new(Term::from_field_text(field, &word), IndexRecordOption::WithFreqs);
                alternatives.push((Occur::Should, Box::new(BoostQuery::new(Box::new(whole), boost))));
                if parts.len() > 1 {
                    let all: Vec<(Occur, Box<dyn Query>)> = parts
                        .iter()
                        .map(|part| {
                            let term = TermQuery::new(Term::from_field_text(field, part), IndexRecordOption::WithFreqs);
                            (Occur::Must, Box::new(term) as Box<dyn Query>)
                        })
                        .collect();
                    alternatives.push((Occur::Should, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(all)), boost * 0.8))));
                }
            }
            words.push(Box::new(BooleanQuery::new(alternatives)));
        }
        if words.is_empty() {
            // Only punctuation: nothing can match.
            return Box::new(tantivy::query::EmptyQuery);
        }
        Box::new(BooleanQuery::new(words.into_iter().map(|w| (Occur::Must, w)).collect()))
    }

    fn codes(&self, searcher: &tantivy::Searcher, docs: impl Iterator<Item = tantivy::DocAddress>) -> Result<Vec<String>> {
        docs.map(|address| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok(doc.get_first(self.fields.code).and_then(|v| v.as_str()).unwrap_or_default().to_string())
        })
        .collect()
    }
}
