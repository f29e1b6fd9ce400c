package score

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// matrix is a sparse row matrix (compressed rows): row r's columns are
// idx[ptr[r]:ptr[r+1]] with values val[…]. Column 0 is the intercept.
type matrix struct {
	ptr []int
	idx []int32
	val []float64
}

func newMatrix(rows, perRow int) *matrix {
	m := &matrix{ptr: make([]int, 1, rows+1)}
	m.idx = make([]int32, 0, rows*perRow)
	m.val = make([]float64, 0, rows*perRow)
	return m
}

func (m *matrix) rows() int { return len(m.ptr) - 1 }

func (m *matrix) add(col int, v float64) {
	m.idx = append(m.idx, int32(col))
	m.val = append(m.val, v)
}

func (m *matrix) endRow() { m.ptr = append(m.ptr, len(m.idx)) }

func (m *matrix) dot(r int, w []float64) float64 {
	var z float64
	for k := m.ptr[r]; k < m.ptr[r+1]; k++ {
		z += w[m.idx[k]] * m.val[k]
	}
	return z
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1+eᶻ) without overflow.
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

// fitChunks is how many fixed slices of rows the fit sums separately, on
// goroutines of their own, before adding the slices' sums in slice order.
// The slices do not depend on the machine's CPU count, so the sums, and the
// weights, are the same bits on one core or many.
const fitChunks = 4

// chunks runs fn on each fixed slice of x's rows concurrently.
func (x *matrix) chunks(fn func(k, lo, hi int)) {
	var wg sync.WaitGroup
	n := x.rows()
	for k := range fitChunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(k, n*k/fitChunks, n*(k+1)/fitChunks)
		}()
	}
	wg.Wait()
}

// penalisedLoss is the negative log-likelihood plus l2/2·|w|² (every
// weight but the intercept).
func penalisedLoss(x *matrix, y []bool, w []float64, l2 float64) float64 {
	var part [fitChunks]float64
	x.chunks(func(k, lo, hi int) {
		var s float64
		for r := lo; r < hi; r++ {
			z := x.dot(r, w)
			s += softplus(z)
			if y[r] {
				s -= z
			}
		}
		part[k] = s
	})
	var s float64
	for _, p := range part {
		s += p
	}
	for j := 1; j < len(w); j++ {
		s += l2 / 2 * w[j] * w[j]
	}
	return s
}

// errNotConverged: Newton's method ran out of iterations.
var errNotConverged = errors.New("logistic regression did not converge")

// fit minimises penalisedLoss by Newton's method: each step solves
// (XᵀSX + l2·I)·δ = Xᵀ(p−y) + l2·w by Cholesky, halving the step while the
// loss would rise. Every sum runs over fixed slices of rows in row order
// and adds the slices in order (fitChunks), so the same rows give the same
// weights bit for bit. It stops when no weight
// moves by more than 1e-8.
func fit(x *matrix, y []bool, d int, l2 float64, maxIter int) ([]float64, int, error) {
	w := make([]float64, d)
	grad := make([]float64, d)
	hess := make([]float64, d*d)
	step := make([]float64, d)
	var grads, hesses [fitChunks][]float64
	for k := range fitChunks {
		grads[k], hesses[k] = make([]float64, d), make([]float64, d*d)
	}
	loss := penalisedLoss(x, y, w, l2)
	for it := 1; it <= maxIter; it++ {
		x.chunks(func(k, lo, hi int) {
			grad, hess := grads[k], hesses[k]
			clear(grad)
			clear(hess)
			for r := lo; r < hi; r++ {
				p := sigmoid(x.dot(r, w))
				g := p
				if y[r] {
					g = p - 1
				}
				s := p * (1 - p)
				from, to := x.ptr[r], x.ptr[r+1]
				for a := from; a < to; a++ {
					ia, va := int(x.idx[a]), x.val[a]
					grad[ia] += g * va
					row := hess[ia*d:]
					for b := from; b < to; b++ {
						row[x.idx[b]] += s * va * x.val[b]
					}
				}
			}
		})
		copy(grad, grads[0])
		copy(hess, hesses[0])
		for k := 1; k < fitChunks; k++ {
			for j, v := range grads[k] {
				grad[j] += v
			}
			for j, v := range hesses[k] {
				hess[j] += v
			}
		}
		for j := 1; j < d; j++ {
			grad[j] += l2 * w[j]
			hess[j*d+j] += l2
		}
		// A column no row uses (possible only for the intercept of an
		// empty set) would make the system singular.
		hess[0] += 1e-9
		if err := cholSolve(hess, grad, step, d); err != nil {
			return nil, it, err
		}
		t := 1.0
		next := make([]float64, d)
		var newLoss float64
		for half := 0; ; half++ {
			for j := range w {
				next[j] = w[j] - t*step[j]
			}
			newLoss = penalisedLoss(x, y, next, l2)
			if newLoss <= loss || half == 30 {
				break
			}
			t /= 2
		}
		var moved float64
		for j := range w {
			moved = math.Max(moved, math.Abs(next[j]-w[j]))
		}
		w, loss = next, newLoss
		if moved < 1e-8 {
			return w, it, nil
		}
	}
	return w, maxIter, fmt.Errorf("%w in %d iterations (raise model.max_iterations or model.l2)", errNotConverged, maxIter)
}

// cholSolve solves A·x = b for a symmetric positive definite A (d×d, row
// major; overwritten by its Cholesky factor).
func cholSolve(a, b, x []float64, d int) error {
	for j := 0; j < d; j++ {
		s := a[j*d+j]
		for k := 0; k < j; k++ {
			s -= a[j*d+k] * a[j*d+k]
		}
		if !(s > 0) {
			return fmt.Errorf("logistic regression: the system is not positive definite at feature %d", j)
		}
		l := math.Sqrt(s)
		a[j*d+j] = l
		for i := j + 1; i < d; i++ {
			s := a[i*d+j]
			for k := 0; k < j; k++ {
				s -= a[i*d+k] * a[j*d+k]
			}
			a[i*d+j] = s / l
		}
	}
	for i := 0; i < d; i++ { // L·z = b
		s := b[i]
		for k := 0; k < i; k++ {
			s -= a[i*d+k] * x[k]
		}
		x[i] = s / a[i*d+i]
	}
	for i := d - 1; i >= 0; i-- { // Lᵀ·x = z
		s := x[i]
		for k := i + 1; k < d; k++ {
			s -= a[k*d+i] * x[k]
		}
		x[i] = s / a[i*d+i]
	}
	return nil
}
