package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/democrm/orggen"
)

// API versions the server answers (the versions resource lists them; a
// path with another version is NOT_FOUND, as on Salesforce).
const (
	minVersion = 31
	maxVersion = 62
)

// versionLabel is the release name of API version v: three releases a
// year, v62.0 being Winter '25.
func versionLabel(v int) string {
	k := maxVersion - v
	season := [...]string{"Winter", "Summer", "Spring"}[k%3]
	year := 25 - k/3
	if k%3 != 0 {
		year--
	}
	return fmt.Sprintf("%s '%02d", season, year)
}

// knownVersion reports whether "vNN.0" is an API version the server has.
func knownVersion(version string) bool {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(version, "v"), ".0"))
	return err == nil && strings.HasSuffix(version, ".0") && n >= minVersion && n <= maxVersion
}

// versions answers GET /services/data/: every version, oldest first. Like
// Salesforce's, it needs no session.
func (s *Server) versions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.fail(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,HEAD")
		return
	}
	type version struct {
		Label   string `json:"label"`
		URL     string `json:"url"`
		Version string `json:"version"`
	}
	var out []version
	for v := minVersion; v <= maxVersion; v++ {
		out = append(out, version{Label: versionLabel(v), URL: fmt.Sprintf("/services/data/v%d.0", v), Version: fmt.Sprintf("%d.0", v)})
	}
	s.writeJSON(w, out)
}

// replicationTime parses a getDeleted/getUpdated start or end: ISO 8601
// with an offset ("2026-11-20T02:00:00+00:00", "...Z") or Salesforce's
// "...000+0000".
func replicationTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date and time with a time zone", s)
}

// replicated answers sObject Get Deleted (deleted) or Get Updated.
func (s *Server) replicated(w http.ResponseWriter, r *http.Request, name string, deleted bool) {
	obj, ok := s.org.Object(name)
	if !ok {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The requested resource does not exist: sObject type '%s' is not supported", name))
		return
	}
	var bounds [2]time.Time
	for i, p := range []string{"start", "end"} {
		v := r.URL.Query().Get(p)
		if v == "" {
			s.fail(w, http.StatusBadRequest, "MISSING_ARGUMENT", fmt.Sprintf("The '%s' parameter is required", p))
			return
		}
		t, err := replicationTime(v)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "INVALID_REPLICATION_DATE", fmt.Sprintf("%s: %v", p, err))
			return
		}
		bounds[i] = t
	}
	var err error
	var body any
	if deleted {
		var res orggen.DeletedResult
		res, err = s.org.GetDeleted(obj, bounds[0], bounds[1])
		type rec struct {
			ID          string `json:"id"`
			DeletedDate string `json:"deletedDate"`
		}
		recs := make([]rec, len(res.Records))
		for i, d := range res.Records {
			recs[i] = rec{d.ID, crm.FormatDateTime(d.DeletedDate)}
		}
		body = struct {
			DeletedRecords        []rec  `json:"deletedRecords"`
			EarliestDateAvailable string `json:"earliestDateAvailable"`
			LatestDateCovered     string `json:"latestDateCovered"`
		}{recs, crm.FormatDateTime(res.EarliestDateAvailable), crm.FormatDateTime(res.LatestDateCovered)}
	} else {
		var res orggen.UpdatedResult
		res, err = s.org.GetUpdated(obj, bounds[0], bounds[1])
		body = struct {
			IDs               []string `json:"ids"`
			LatestDateCovered string   `json:"latestDateCovered"`
		}{res.IDs, crm.FormatDateTime(res.LatestDateCovered)}
	}
	var re *orggen.ReplicationError
	switch {
	case errors.As(err, &re):
		s.fail(w, http.StatusBadRequest, re.Code, re.Message)
	case err != nil:
		s.fail(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
	default:
		s.writeJSON(w, body)
	}
}

// bulkDelete answers DELETE jobs/query/<id>: the job and its results are
// gone (204 No Content); a later poll is NOT_FOUND.
func (s *Server) bulkDelete(w http.ResponseWriter, id string) {
	s.mu.Lock()
	_, ok := s.jobs[id]
	delete(s.jobs, id)
	s.mu.Unlock()
	if !ok {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
