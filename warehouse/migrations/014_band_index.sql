-- Near-duplicate candidates are the stored articles sharing an LSH band key with a new
-- one. The primary key (band, article_id) cannot answer "which articles hold this
-- band" (DuckDB scans an ART index for its whole key only), so the look-up scanned
-- every band row: 0.2-0.3 s a batch at 100,000 articles, growing with the warehouse.
-- With this index it is a point look-up per key (warehouse/writer.py band_candidates).
-- Its cost: one more index entry for each of an article's 20 band keys when it is
-- stored (see the README, Performance, for the measured store throughput).

CREATE INDEX article_bands_band ON article_bands (band);
