package eval

import (
	"math"
	"strings"
	"testing"
)

// TestWilson checks the interval against values computed independently:
//
//	python3 -c "import math; z=1.959964
//	def w(k,n): p=k/n; d=1+z*z/n; c=(p+z*z/(2*n))/d; h=z/d*math.sqrt(p*(1-p)/n+z*z/(4*n*n)); return c-h,c+h
//	print(w(0,10), w(10,10), w(2258,3589), w(1,2), w(0,1))"
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 10, 0, 0.277532803026},
		{10, 10, 0.722467196974, 1},
		{2258, 3589, 0.613211397485, 0.644801657254},
		{1, 2, 0.094531204639, 0.905468795361},
		{0, 1, 0, 0.793450688208},
		{0, 0, 0, 1},
	} {
		lo, hi := Wilson(c.k, c.n)
		if math.Abs(lo-c.lo) > 1e-11 || math.Abs(hi-c.hi) > 1e-11 {
			t.Errorf("Wilson(%d, %d) = [%.12f, %.12f], want [%.12f, %.12f]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
	m := Metrics{N: 3589, Accuracy: 2258.0 / 3589}
	if got, want := m.AccuracyText(), "62.91% (95 % CI 61.32-64.48)"; got != want {
		t.Errorf("AccuracyText of cached metrics without interval: %q, want %q", got, want)
	}
	m.SetInterval()
	if math.Abs(m.AccuracyLow-0.613211397485) > 1e-11 {
		t.Errorf("SetInterval: low %g", m.AccuracyLow)
	}
}

// TestMcNemar checks the exact McNemar p-value against an independent sum:
//
//	python3 -c "import math
//	def mc(b,c): n=b+c; m=min(b,c); return min(1.0, 2*sum(math.comb(n,i) for i in range(m+1))/2**n)
//	print(mc(10,20), mc(5,5), mc(0,7), mc(30,45), mc(1,0), mc(0,0), mc(400,480))"
func TestMcNemar(t *testing.T) {
	for _, c := range []struct {
		b, c int
		p    float64
	}{
		{10, 20, 0.098737146705389},
		{5, 5, 1},
		{0, 7, 0.015625},
		{30, 45, 0.105342268874605},
		{1, 0, 1},
		{0, 0, 1},
		{400, 480, 0.00770730504333914},
	} {
		for _, sw := range [][2]int{{c.b, c.c}, {c.c, c.b}} { // symmetric in A and B
			if p := McNemar(sw[0], sw[1]); math.Abs(p-c.p) > 1e-12*math.Max(1, 1/c.p) {
				t.Errorf("McNemar(%d, %d) = %.15g, want %.15g", sw[0], sw[1], p, c.p)
			}
		}
	}
	// Compare: A right on 0..5, B right on 3..9 of 12 images.
	a, b := make([]bool, 12), make([]bool, 12)
	for i := range a {
		a[i], b[i] = i < 6, i >= 3 && i < 10
	}
	p, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Both != 3 || p.OnlyA != 3 || p.OnlyB != 4 || p.Neither != 2 || p.N != 12 {
		t.Errorf("table %+v", p)
	}
	if p.P != McNemar(3, 4) || math.Abs(p.P-1) > 1e-12 {
		t.Errorf("p %g, want McNemar(3, 4) = 1", p.P)
	}
	if v := p.Verdict(); !strings.Contains(v, "B − A = +8.33 points") || !strings.Contains(v, "not distinguishable") {
		t.Errorf("verdict %q", v)
	}
	if _, err := Compare(a, b[:3]); err == nil {
		t.Error("lengths 12 and 3 accepted")
	}
}
