package orggen

import "time"

// role is what a person does during a window of time. Owners are drawn
// from the people holding the right role for the whole span of a record's
// life, so no record is owned or touched by someone not yet hired, already
// gone, or in another job.
type role int

const (
	roleSDR role = iota
	roleAE
	roleMarketing
)

// roleWindow says person People[person] holds role during [from, to) (UTC
// micros; to = maxTime while open-ended).
type roleWindow struct {
	person   int
	role     role
	from, to int64
}

const maxTime = int64(1) << 62

var roleWindows = buildRoleWindows()

func personIndex(id string) int {
	for i, p := range People {
		if p.ID == id {
			return i
		}
	}
	panic("democrm: unknown person " + id)
}

func buildRoleWindows() []roleWindow {
	var out []roleWindow
	for i, p := range People {
		from, to := p.Hired.UnixMicro(), maxTime
		if p.Left != nil {
			to = p.Left.Add(24 * time.Hour).UnixMicro() // Left is the last day active
		}
		switch {
		case p.Name == "Jordan Lee":
			// An SDR until the promotion, an Account Executive from then on.
			out = append(out,
				roleWindow{i, roleSDR, from, JordanPromoted.UnixMicro()},
				roleWindow{i, roleAE, JordanPromoted.UnixMicro(), to})
		case p.Title == "SDR":
			out = append(out, roleWindow{i, roleSDR, from, to})
		case p.Title == "Account Executive":
			out = append(out, roleWindow{i, roleAE, from, to})
		case p.Department == "Marketing":
			out = append(out, roleWindow{i, roleMarketing, from, to})
		}
	}
	return out
}

// holdsRole reports whether person holds r during all of [from, to].
func holdsRole(person int, r role, from, to int64) bool {
	for _, w := range roleWindows {
		if w.person == person && w.role == r && w.from <= from && to < w.to {
			return true
		}
	}
	return false
}

// pickPerson draws a person holding r over all of [from, to]; when nobody
// does, one holding it at from. It returns -1 only if nobody holds the role
// at from at all.
func pickPerson(g *rng, r role, from, to int64) int {
	if p := pickWindow(g, r, from, to); p >= 0 {
		return p
	}
	return pickWindow(g, r, from, from)
}

func pickWindow(g *rng, r role, from, to int64) int {
	n := 0
	for _, w := range roleWindows {
		if w.role == r && w.from <= from && to < w.to {
			n++
		}
	}
	if n == 0 {
		return -1
	}
	k := g.intn(n)
	for _, w := range roleWindows {
		if w.role == r && w.from <= from && to < w.to {
			if k == 0 {
				return w.person
			}
			k--
		}
	}
	return -1
}

// pickOther draws a person holding r over [from, to] other than not.
func pickOther(g *rng, r role, from, to int64, not int) int {
	for range 8 {
		if p := pickWindow(g, r, from, to); p >= 0 && p != not {
			return p
		}
	}
	for _, w := range roleWindows {
		if w.role == r && w.person != not && w.from <= from && to < w.to {
			return w.person
		}
	}
	return -1
}
