//! Streaming ingest ([`RowSource`], `Guarded::ingest_rows`): rows are parsed, checked and
//! written a chunk at a time inside one transaction. Bounded memory (at most a chunk of parsed
//! rows ahead of the store), atomicity and the natural-key rules across chunk boundaries.

use std::cell::Cell;
use std::io::Read;
use std::num::NonZeroUsize;
use std::rc::Rc;

use finkit_pool::conformance::fixtures;
use finkit_pool::{
    EntityKind, Guarded, IngestMode, IngestStore, MemoryPool, Parsed, PoolError, PoolRead,
    PriceObservation, Principal, Put, Record, Role, Row, RowSource, SqlitePool, WriteStore,
    apply_rows,
};
use finkit_schema::{FirmId, InstrumentId};

fn admin() -> Principal {
    Principal::new("streaming-test", Role::Admin)
}

fn chunk(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

/// CSV of `total` price rows, generated as it is read (never held whole), counting the rows
/// handed out so far.
struct LazyPrices {
    total: u64,
    next: u64,
    produced: Rc<Cell<u64>>,
    pending: Vec<u8>,
    pos: usize,
}

impl LazyPrices {
    fn new(total: u64, produced: Rc<Cell<u64>>) -> Self {
        LazyPrices {
            total,
            next: 0,
            produced,
            pending: b"instrument,date,price\n".to_vec(),
            pos: 0,
        }
    }
}

impl Read for LazyPrices {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            if self.next == self.total {
                return Ok(0);
            }
            self.pending = format!("I{},2024-01-02,{}.5\n", self.next, self.next % 97 + 1).into();
            self.pos = 0;
            self.next += 1;
            self.produced.set(self.next);
        }
        let n = out.len().min(self.pending.len() - self.pos);
        out[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A store that only counts, and records how far the input ran ahead of the writes.
struct Counting {
    produced: Rc<Cell<u64>>,
    puts: u64,
    max_ahead: u64,
    max_chunk: usize,
    chunks: usize,
}

impl IngestStore for Counting {
    fn firm_exists(&mut self, _: &FirmId) -> Result<bool, PoolError> {
        Ok(true)
    }

    fn put(&mut self, _: &Record) -> Result<Put, PoolError> {
        self.puts += 1;
        self.max_ahead = self.max_ahead.max(self.produced.get() - self.puts);
        Ok(Put::Inserted)
    }

    fn begin_chunk(&mut self, rows: &[Row]) -> Result<(), PoolError> {
        self.max_chunk = self.max_chunk.max(rows.len());
        self.chunks += 1;
        Ok(())
    }
}

#[test]
fn a_large_lazy_csv_is_never_held_whole() {
    // 200,000 rows through chunks of 1,000: the reader may run ahead of the writes by one
    // chunk plus what the CSV reader buffers (a few hundred rows), never by the whole input
    // (reading everything first, as a `Batch` does, puts it 200,000 rows ahead).
    const ROWS: u64 = 200_000;
    let produced = Rc::new(Cell::new(0));
    let input = LazyPrices::new(ROWS, Rc::clone(&produced));
    let rows =
        RowSource::csv(EntityKind::Prices, input, "lazy.csv").unwrap().with_chunk_rows(chunk(1000));
    let mut store =
        Counting { produced: Rc::clone(&produced), puts: 0, max_ahead: 0, max_chunk: 0, chunks: 0 };
    let report = apply_rows(&mut store, rows).unwrap();
    assert_eq!(report.accepted as u64, ROWS);
    assert!(report.rejected.is_empty(), "{:?}", &report.rejected[..3]);
    assert_eq!(store.puts, ROWS);
    assert_eq!(store.max_chunk, 1000);
    assert_eq!(store.chunks, 200);
    assert!(store.max_ahead <= 2000, "the input ran {} rows ahead of the writes", store.max_ahead);
}

#[test]
fn a_large_lazy_csv_streams_into_sqlite() {
    const ROWS: u64 = 30_000;
    let pool = SqlitePool::in_memory().unwrap();
    let input = LazyPrices::new(ROWS, Rc::new(Cell::new(0)));
    let rows =
        RowSource::csv(EntityKind::Prices, input, "lazy.csv").unwrap().with_chunk_rows(chunk(977));
    let report = pool.ingest_rows(&admin(), rows, IngestMode::Strict).unwrap();
    assert_eq!(report.accepted as u64, ROWS);
    assert_eq!(pool.instruments(&admin()).unwrap().len() as u64, ROWS);
}

fn price(instrument: &str, day: u32, price: f64) -> PriceObservation {
    PriceObservation {
        instrument: InstrumentId::new(instrument).unwrap(),
        date: fixtures::date(2024, 1, day).unwrap(),
        price,
    }
}

fn audit_count<S: WriteStore>(pool: &Guarded<S>) -> u64 {
    pool.audit_head(&admin()).unwrap().count
}

/// The streaming rules on any backend (also run against PostgreSQL by the `postgres` module).
pub(crate) fn streaming_rules<S: WriteStore>(pool: &Guarded<S>) {
    let prices = || {
        vec![
            price("A", 2, 1.0),
            price("B", 2, 2.0),
            price("C", 2, 3.0),
            price("A", 2, 1.0), // identical to line 1, in the next chunk: idempotent
            price("B", 2, 2.5), // the key of line 2 with another price: rejected
            price("A", 2, -1.0), // breaks a rule
        ]
    };
    let source =
        || RowSource::records(EntityKind::Prices, "prices", prices()).with_chunk_rows(chunk(2));

    // Strict: every rejected row reported, nothing written, not even an audit entry.
    let before = audit_count(pool);
    let err = pool.ingest_rows(&admin(), source(), IngestMode::Strict).unwrap_err();
    let PoolError::Rejected { report } = &err else { panic!("{err}") };
    assert_eq!(report.accepted, 0);
    assert_eq!(report.rejected_rows(), 2, "{report:?}");
    assert!(report.rejects_line(5) && report.rejects_line(6), "{report:?}");
    assert!(report.rejected.iter().any(|r| r.line == 5 && r.field == "instrument+date"));
    assert!(pool.instruments(&admin()).unwrap().is_empty(), "strict mode wrote rows");
    // `before`'s read and `instruments` are the only new entries.
    assert_eq!(audit_count(pool), before + 2, "strict rejection left an audit entry");

    // Lenient: exactly the valid rows, one audit entry.
    let before = audit_count(pool);
    let report = pool.ingest_rows(&admin(), source(), IngestMode::Lenient).unwrap();
    assert_eq!((report.accepted, report.unchanged, report.rejected_rows()), (4, 1, 2));
    assert_eq!(audit_count(pool), before + 2, "one entry for the ingest");
    let b = pool.price_series(&admin(), &InstrumentId::new("B").unwrap()).unwrap();
    assert_eq!(b.len(), 1);
    let log = pool.audit_log(&admin()).unwrap();
    let entry = log.iter().rev().find(|e| e.action == "ingest").unwrap();
    assert!(entry.detail.contains("source=prices") && entry.entity == "prices", "{entry:?}");

    // Re-ingest is idempotent across chunks.
    let rows = RowSource::records(EntityKind::Prices, "again", prices().into_iter().take(4))
        .with_chunk_rows(chunk(3));
    let report = pool.ingest_rows(&admin(), rows, IngestMode::Strict).unwrap();
    assert_eq!((report.accepted, report.unchanged), (4, 4));

    // A fatal input error part way writes nothing, in lenient mode too.
    let before = audit_count(pool);
    let broken = prices()
        .into_iter()
        .take(3)
        .map(|p| price(&format!("{}2", p.instrument), 3, p.price))
        .enumerate()
        .map(|(i, p)| Ok(Parsed::Row(Row { line: i as u64 + 1, record: p.into() })))
        .chain(std::iter::once(Err(PoolError::Format {
            source_name: "broken".into(),
            message: "line 4: unreadable".into(),
        })));
    let rows = RowSource::new(EntityKind::Prices, "broken", broken).with_chunk_rows(chunk(2));
    let err = pool.ingest_rows(&admin(), rows, IngestMode::Lenient).unwrap_err();
    assert!(matches!(err, PoolError::Format { .. }), "{err}");
    assert_eq!(pool.instruments(&admin()).unwrap().len(), 3, "a broken stream wrote rows");
    assert_eq!(audit_count(pool), before + 2);

    // A row of a kind the source does not declare is rejected (its permission was not
    // checked), and statements find the firms of earlier chunks.
    let firms = fixtures::firms().unwrap();
    let rows = RowSource::records(EntityKind::Firms, "firms", firms.clone());
    assert_eq!(pool.ingest_rows(&admin(), rows, IngestMode::Strict).unwrap().accepted, 3);
    let mixed = vec![Record::from(price("Z", 9, 1.0)), Record::from(firms[0].clone())];
    let rows = RowSource::records(EntityKind::Firms, "mixed", mixed);
    let report = pool.ingest_rows(&admin(), rows, IngestMode::Lenient).unwrap();
    assert!(report.rejects_line(1) && !report.rejects_line(2), "{report:?}");
    assert!(report.rejected[0].reason.contains("a prices record in an ingest of firms"));
    let statements = fixtures::statements().unwrap();
    let n = statements.len();
    let rows = RowSource::records(EntityKind::Statements, "fs", statements.clone())
        .with_chunk_rows(chunk(1));
    assert_eq!(pool.ingest_rows(&admin(), rows, IngestMode::Strict).unwrap().accepted, n);
    // The same statements with one changed value, in chunks of one: the conflict is found
    // against rows written by the earlier ingest.
    let mut changed = statements;
    changed[n - 1].revenue += 1.0;
    let rows = RowSource::records(EntityKind::Statements, "fs2", changed).with_chunk_rows(chunk(1));
    let err = pool.ingest_rows(&admin(), rows, IngestMode::Strict).unwrap_err();
    assert_eq!(err.rejected_report().unwrap().rejected_rows(), 1);
}

#[test]
fn streaming_rules_hold_on_sqlite_and_in_memory() {
    streaming_rules(&SqlitePool::in_memory().unwrap());
    let dir = tempfile::tempdir().unwrap();
    streaming_rules(&SqlitePool::open(dir.path().join("s.db")).unwrap());
    streaming_rules(&MemoryPool::default());
}

#[test]
fn a_batch_and_its_stream_give_the_same_report() {
    // The `Batch` API is a wrapper over the stream: same rows, same report.
    let csv =
        "instrument,date,price\nX,2024-01-02,1\nX,2024-01-02,2\nY,2024-01-0x,3\nZ,2024-01-02,4\n";
    let batch =
        finkit_pool::Batch::from_csv_reader(EntityKind::Prices, csv.as_bytes(), "p").unwrap();
    let a = SqlitePool::in_memory().unwrap();
    let from_batch =
        finkit_pool::PoolWrite::ingest(&a, &admin(), &batch, IngestMode::Lenient).unwrap();
    let b = SqlitePool::in_memory().unwrap();
    let rows = RowSource::csv(EntityKind::Prices, csv.as_bytes(), "p").unwrap();
    let streamed = b.ingest_rows(&admin(), rows.with_chunk_rows(chunk(1)), IngestMode::Lenient);
    assert_eq!(streamed.unwrap(), from_batch);
    assert_eq!(from_batch.accepted, 2);
}
