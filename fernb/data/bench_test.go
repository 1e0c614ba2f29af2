package data

import (
	"testing"
)

// BenchmarkDecodeFER2013 loads all 32,298 real FER2013 files without the
// cache (parallel JPEG decode).
func BenchmarkDecodeFER2013(b *testing.B) {
	root := realData(b)
	for b.Loop() {
		ds, err := Load(root, WithoutCache())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(ds.Stats.Files)/ds.Stats.Total.Seconds(), "images/s")
	}
}

// BenchmarkCacheReload reloads the real FER2013 from a warm binary cache
// (including the size+mtime check of every source file).
func BenchmarkCacheReload(b *testing.B) {
	root := realData(b)
	dir := b.TempDir()
	if _, err := Load(root, WithCacheDir(dir)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ds, err := Load(root, WithCacheDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		if !ds.Stats.FromCache {
			b.Fatal(ds.Stats.CacheNote)
		}
	}
}

// BenchmarkQuality computes the quality report of the real FER2013.
func BenchmarkQuality(b *testing.B) {
	ds, err := Load(realData(b), WithCacheDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Quality(ds)
	}
}

// BenchmarkSynthetic renders synthetic faces.
func BenchmarkSynthetic(b *testing.B) {
	const n = 1000
	for b.Loop() {
		Synthetic(n, 0, 1)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "faces/s")
}
