package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// checkReportPath rejects, before anything runs, a --report path whose
// format is unknown or where the file cannot be written: its directory is
// missing, not a directory, or not writable (tried with a temporary file,
// removed at once), or the path is a directory.
func checkReportPath(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".json":
	default:
		return fmt.Errorf("--report %s: the file name must end in .csv or .json", path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("--report %s: directory %s: %s", path, dir, reasonOf(err))
	} else if !fi.IsDir() {
		return fmt.Errorf("--report %s: %s is not a directory", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("--report %s: is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, ".ticaga-sync-report-*")
	if err != nil {
		return fmt.Errorf("--report %s: cannot write in %s: %s", path, dir, reasonOf(err))
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// reasonOf is err without the path an *fs.PathError repeats.
func reasonOf(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// writeReportFile writes every decision of every report (already linked
// customers included) to path, as CSV or JSON by its extension. The file is
// written whole to a temporary name and renamed, so a reader never sees
// half of it.
func writeReportFile(path string, reps []*ticagasync.Report) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ticaga-sync-report-*")
	if err != nil {
		return fmt.Errorf("--report %s: cannot write in %s: %s", path, filepath.Dir(path), reasonOf(err))
	}
	defer os.Remove(tmp.Name())
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = writeDecisionsJSON(tmp, reps)
	} else {
		err = writeDecisionsCSV(tmp, reps)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--report %s: %s", path, reasonOf(err))
	}
	return nil
}

var reportColumns = []string{"source", "run_id", "dry_run", "billing_id", "company_id", "name", "email", "ticaga_id", "action", "reason", "detail", "assigned"}

func writeDecisionsCSV(f *os.File, reps []*ticagasync.Report) error {
	w := csv.NewWriter(f)
	if err := w.Write(reportColumns); err != nil {
		return err
	}
	for _, rep := range reps {
		for d := range rep.All() {
			ticaga := ""
			if d.TicagaID != 0 {
				ticaga = strconv.FormatInt(d.TicagaID, 10)
			}
			row := []string{rep.Source, strconv.FormatInt(rep.RunID, 10), strconv.FormatBool(rep.DryRun),
				string(d.Contact.BillingID), strconv.FormatInt(d.Contact.CompanyID, 10),
				csvSafe(d.Contact.Name()), csvSafe(d.Contact.Email), ticaga, string(d.Action), string(d.Reason),
				csvSafe(d.Detail), strconv.FormatBool(d.Assigned)}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a spreadsheet from reading a customer's name or email as a
// formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type fileDecision struct {
	Source    string               `json:"source"`
	RunID     int64                `json:"run_id"`
	DryRun    bool                 `json:"dry_run"`
	BillingID ticagasync.BillingID `json:"billing_id"`
	CompanyID int64                `json:"company_id"`
	Name      string               `json:"name"`
	Email     string               `json:"email"`
	TicagaID  *int64               `json:"ticaga_id"`
	Action    string               `json:"action"`
	Reason    string               `json:"reason"`
	Detail    string               `json:"detail"`
	Assigned  bool                 `json:"assigned"`
}

// newFileDecision is decision d of rep as a JSON report file row.
func newFileDecision(rep *ticagasync.Report, d ticagasync.Decision) fileDecision {
	fd := fileDecision{Source: rep.Source, RunID: rep.RunID, DryRun: rep.DryRun, BillingID: d.Contact.BillingID,
		CompanyID: d.Contact.CompanyID, Name: d.Contact.Name(), Email: d.Contact.Email, Action: string(d.Action),
		Reason: string(d.Reason), Detail: d.Detail, Assigned: d.Assigned}
	if d.TicagaID != 0 {
		id := d.TicagaID
		fd.TicagaID = &id
	}
	return fd
}

// writeDecisionsJSON writes the decisions as one indented JSON array (as
// json.Encoder with a two-space indent would), one at a time.
func writeDecisionsJSON(f *os.File, reps []*ticagasync.Report) error {
	w := bufio.NewWriter(f)
	w.WriteByte('[')
	n := 0
	for _, rep := range reps {
		for d := range rep.All() {
			b, err := json.MarshalIndent(newFileDecision(rep, d), "  ", "  ")
			if err != nil {
				return err
			}
			if n > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n  ")
			w.Write(b)
			n++
		}
	}
	if n > 0 {
		w.WriteByte('\n')
	}
	w.WriteString("]\n")
	return w.Flush()
}
