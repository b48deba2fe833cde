package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

func (c *cli) evidenceCommand() *cobra.Command {
	return group("evidence", "Add evidence files, read them back, and keep their chain of custody",
		c.evidenceAddCommand(),
		c.evidenceListCommand(),
		c.evidenceShowCommand(),
		c.evidenceGetCommand(),
		c.evidenceEditCommand(),
		c.evidenceHistoryCommand(),
		c.evidenceCustodyCommand(),
	)
}

// evidenceInput is what the add and edit commands' flags say about items.
type evidenceInput struct {
	incidents, acts, categories                      []string
	typ, description, language                       string
	capturedBy, capturedOn, capturedAt, place        string
	device, url, html, fullPage, urlCapturedAt, tool string
	toolVersion, toolHash                            string
	survivor                                         string
	noSurvivor                                       bool
}

func (in *evidenceInput) register(fs *pflag.FlagSet, editing bool) {
	link := "link the items to this `INCIDENT` (its ID); repeatable"
	act := "link the items to this `ACT`: its ID, or its number in --incident (1, 2 …); repeatable"
	if editing {
		link = "also link the item to this `INCIDENT`; repeatable"
		act = "also link the item to this `ACT` (its ID); repeatable"
	}
	fs.StringArrayVar(&in.incidents, "incident", nil, link)
	fs.StringArrayVar(&in.acts, "act", nil, act)
	fs.StringVar(&in.typ, "type", "", "what the item is: "+wrap(enumNames(evidence.Types), 60, "  ")+" (guessed from the content if not given)")
	fs.StringSliceVar(&in.categories, "category", nil, "International Protocol categories it serves: "+enumNames(evidence.Categories)+" (comma-separated or repeated)")
	fs.StringVar(&in.description, "description", "", "what the item shows or says")
	fs.StringVar(&in.language, "language", "", "language tag of the content (en, ar, he …)")
	fs.StringVar(&in.capturedBy, "captured-by", "", "who captured or recorded it (a name, role or pseudonymous code)")
	fs.StringVar(&in.capturedOn, "captured-on", "", "when it was captured: `DATE` (YYYY-MM-DD, YYYY-MM or YYYY)")
	fs.StringVar(&in.capturedAt, "captured-at", "", "the exact `TIME` it was captured (RFC 3339; UTC if no zone)")
	fs.StringVar(&in.place, "place", "", "where it was captured")
	fs.StringVar(&in.device, "device", "", "what it was captured with")
	fs.StringVar(&in.url, "url", "", "open-source capture: the `URL` it was collected from")
	fs.StringVar(&in.html, "html", "", "open-source capture: the page's HTML source, a `FILE` stored with the item")
	fs.StringVar(&in.fullPage, "full-page", "", "open-source capture: the full-page capture showing date and time, a `FILE`")
	fs.StringVar(&in.urlCapturedAt, "url-captured-at", "", "open-source capture: when it was captured (`TIME`, RFC 3339)")
	fs.StringVar(&in.tool, "tool", "", "open-source capture: the capture tool")
	fs.StringVar(&in.toolVersion, "tool-version", "", "open-source capture: the tool's version")
	fs.StringVar(&in.toolHash, "tool-hash", "", "open-source capture: the hash the tool recorded, as ALGORITHM:HEX")
	fs.StringVar(&in.survivor, "survivor", "", "the survivor the file identifies (`CODE|ID`): it is sealed with their key, and their erasure destroys it")
	if editing {
		fs.BoolVar(&in.noSurvivor, "no-survivor", false, "untie the item from its survivor: its file is sealed again with the deployment's key")
	}
}

// survivorOf resolves --survivor (a code or an ID) and --no-survivor into
// the survivor ID to tie the item to; keep is true when neither was given.
func (in *evidenceInput) survivorOf(ctx context.Context, a *app.App, fs *pflag.FlagSet) (id string, keep bool, err error) {
	switch {
	case fs.Changed("survivor") && in.noSurvivor:
		return "", false, usagef("--survivor and --no-survivor: give one")
	case in.noSurvivor:
		return "", false, nil
	case !fs.Changed("survivor"):
		return "", true, nil
	}
	sv, err := findSurvivor(ctx, a, in.survivor)
	if err != nil {
		return "", false, err
	}
	return sv.ID, false, nil
}

// evidenceFlags names the flag that sets each field, for error messages.
func evidenceFlags(field string) string {
	for _, f := range []struct{ prefix, flag string }{
		{"links[", "--incident or --act"}, {"categories[", "--category"}, {"capture.date.", "--captured-on"},
		{"open_source.html_source", "--html"}, {"open_source.full_page", "--full-page"},
	} {
		if strings.HasPrefix(field, f.prefix) {
			return f.flag
		}
	}
	return map[string]string{
		"type": "--type", "description": "--description", "language": "--language", "sha256": "--sha256", "survivor_id": "--survivor",
		"capture.by": "--captured-by", "capture.at": "--captured-at", "capture.place": "--place",
		"capture.device": "--device", "open_source": "--url", "open_source.url": "--url",
		"open_source.captured_at": "--url-captured-at", "open_source.tool": "--tool",
		"open_source.tool_version": "--tool-version", "open_source.hash": "--tool-hash",
	}[field]
}

// parseInstant reads a time given on the command line: RFC 3339, or
// YYYY-MM-DD[ HH:MM[:SS]] taken as UTC.
func parseInstant(flag, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04",
		"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, usagef("%s %q: give a time such as 2023-10-07T06:30:00+03:00, or 2023-10-07 06:30 (UTC)", flag, s)
}

// apply sets on it the fields whose flags were given, storing the
// open-source capture's files first.
func (in *evidenceInput) apply(ctx context.Context, a *app.App, fs *pflag.FlagSet, it *evidence.Item) error {
	changed := fs.Changed
	if changed("type") {
		it.Type = evidence.Type(strings.TrimSpace(in.typ))
	}
	if changed("category") {
		it.Categories = []evidence.Category{}
		for _, cat := range in.categories {
			it.Categories = append(it.Categories, evidence.Category(strings.TrimSpace(cat)))
		}
	}
	if changed("description") {
		it.Description = in.description
	}
	if changed("language") {
		it.Language = in.language
	}
	if changed("captured-by") {
		it.Capture.By = in.capturedBy
	}
	if changed("captured-on") {
		first, last, precision, ok := dateBounds(in.capturedOn)
		if !ok && in.capturedOn != "" {
			return usagef("--captured-on %q: use YYYY-MM-DD, YYYY-MM or YYYY", in.capturedOn)
		}
		it.Capture.Date = record.Date{Start: first, End: last, Precision: precision}
	}
	if changed("captured-at") {
		at, err := parseInstant("--captured-at", in.capturedAt)
		if err != nil {
			return err
		}
		it.Capture.At = at
	}
	if changed("place") {
		it.Capture.Place = in.place
	}
	if changed("device") {
		it.Capture.Device = in.device
	}
	if fsChanged(fs, "url", "html", "full-page", "url-captured-at", "tool", "tool-version", "tool-hash") {
		if it.OpenSource == nil {
			it.OpenSource = &evidence.OpenSource{}
		}
		o := it.OpenSource
		if changed("url") {
			o.URL = in.url
		}
		if changed("url-captured-at") {
			at, err := parseInstant("--url-captured-at", in.urlCapturedAt)
			if err != nil {
				return err
			}
			o.CapturedAt = at
		}
		if changed("tool") {
			o.Tool = in.tool
		}
		if changed("tool-version") {
			o.ToolVersion = in.toolVersion
		}
		if changed("tool-hash") {
			o.Hash = in.toolHash
		}
		for _, f := range []struct {
			flag, path, field string
			slot              **blob.Ref
		}{{"--html", in.html, "open_source.html_source", &o.HTMLSource}, {"--full-page", in.fullPage, "open_source.full_page", &o.FullPage}} {
			if f.path == "" {
				continue
			}
			ref, err := putFile(ctx, a, it.SurvivorID, f.flag, f.path, f.field)
			if err != nil {
				return err
			}
			*f.slot = &ref
		}
	}
	return nil
}

func putFile(ctx context.Context, a *app.App, survivorID, flag, path, field string) (blob.Ref, error) {
	f, err := os.Open(path)
	if err != nil {
		return blob.Ref{}, usagef("%s: %v", flag, err)
	}
	defer f.Close()
	return a.Evidence.PutFile(ctx, survivorID, f, "", field)
}

// links resolves --incident and --act into links; an act may be named by
// its number in the (single) incident given.
func (in *evidenceInput) links(ctx context.Context, a *app.App) ([]evidence.Link, error) {
	var out []evidence.Link
	for _, id := range in.incidents {
		out = append(out, evidence.Link{Kind: evidence.LinkIncident, ID: strings.TrimSpace(id)})
	}
	for _, ref := range in.acts {
		ref = strings.TrimSpace(ref)
		if n, err := strconv.Atoi(ref); err == nil {
			if len(in.incidents) != 1 {
				return nil, usagef("--act %s: an act is numbered within one incident; give exactly one --incident, or the act's ID", ref)
			}
			inc, err := getIncident(ctx, a, strings.TrimSpace(in.incidents[0]))
			if err != nil {
				return nil, err
			}
			if n < 1 || n > len(inc.Acts) {
				return nil, usagef("--act %d: incident %s has %s", n, inc.ID, plural(len(inc.Acts), "act", "acts"))
			}
			ref = inc.Acts[n-1].ID
		}
		out = append(out, evidence.Link{Kind: evidence.LinkAct, ID: ref})
	}
	return out, nil
}

func (c *cli) evidenceAddCommand() *cobra.Command {
	var in evidenceInput
	var sha string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add FILE…",
		Short: "Store evidence files",
		Long: `Store each FILE as an evidence item, with what the flags say about it.

The file is streamed into the evidence store and hashed on the way (SHA-256);
with --sha256, a file that hashes otherwise is refused and nothing is kept.
Its media type is read from its bytes, embedded metadata (EXIF, video tags)
is extracted and shown apart from what you assert, and a thumbnail is made.
The item's chain of custody begins with "received", carrying the hash.

Identical content is stored once, but each file added makes a new item:
every receipt is its own link in a chain of custody. The command says when
the content is already held.

An open-source capture (--type open_source_capture) records the Berkeley
Protocol's minimum: --url, --html (the page source), --full-page (a capture
showing date and time) and --url-captured-at, with --tool and --tool-version.

A file that identifies a survivor — a recording of their testimony, a
medical or forensic report, a photograph of them — is added with --survivor:
it is sealed with that survivor's own key, only those who may see identities
read it back, and erasing the survivor destroys it. What the file says of
when, where and with what it was made is then not kept in the record.`,
		Example: `  dossier evidence add --incident 0192f6c4-… --act 1 --category crime_base photo1.jpg photo2.jpg
  dossier evidence add --incident 0192f6c4-… --sha256 9f86d0… interview.m4a
  dossier evidence add --incident 0192f6c4-… --type survivor_testimony --survivor SYN-0042 interview-1.m4a
  dossier evidence add --incident 0192f6c4-… --type open_source_capture --url https://t.me/x/1 \
    --html page.html --full-page page.png --url-captured-at 2023-10-08T09:15:00Z --tool Hunchly video.mp4`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing FILE: name the files to add")
			}
			return nil
		},
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if sha != "" && len(args) > 1 {
				return usagef("--sha256 gives one file's hash: add one FILE with it")
			}
			for _, path := range args {
				if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
					return usagef("%s is not a file that can be read", path)
				}
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			links, err := in.links(ctx, a)
			if err != nil {
				return err
			}
			var template evidence.Item
			if template.SurvivorID, _, err = in.survivorOf(ctx, a, cmd.Flags()); err != nil {
				return err
			}
			if err := in.apply(ctx, a, cmd.Flags(), &template); err != nil {
				return invalid("the evidence item", err, evidenceFlags)
			}
			template.Links = links
			var added []*evidence.Item
			for _, path := range args {
				it, dups, err := c.addFile(ctx, a, path, sha, template)
				if err != nil {
					if len(added) > 0 {
						fmt.Fprintf(c.stderr, "dossier: %s stored before %s failed\n", plural(len(added), "file was", "files were"), path)
					}
					return invalid("the evidence item for "+path, err, evidenceFlags)
				}
				added = append(added, it)
				if !asJSON {
					fmt.Fprintf(c.stdout, "Added evidence %s: %s (%s, %s, SHA-256 %s)\n", it.ID, it.Filename, it.MediaType,
						formatSize(it.Blob.Size), it.Blob.SHA256)
					if it.SurvivorID != "" {
						fmt.Fprintln(c.stdout, "  sealed with the key of the survivor it identifies: their erasure destroys it")
					}
					if len(dups) > 0 {
						fmt.Fprintf(c.stdout, "  identical content is already held as %s\n", strings.Join(dups, ", "))
					}
					if it.OpenSource != nil {
						if m := it.OpenSource.Missing(); len(m) > 0 {
							fmt.Fprintf(c.stdout, "  the capture lacks what the Berkeley Protocol asks for: %s\n", strings.Join(m, ", "))
						}
					}
				}
			}
			if asJSON {
				return writeJSON(c.stdout, added)
			}
			return nil
		}),
	}
	in.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&sha, "sha256", "", "the SHA-256 the file must have (`HEX`); refused otherwise")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored items as JSON")
	return cmd
}

// addFile stores one file as an item made from template, with a progress
// bar on a terminal.
func (c *cli) addFile(ctx context.Context, a *app.App, path, sha string, template evidence.Item) (*evidence.Item, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	it := template
	it.Links = append([]evidence.Link(nil), template.Links...)
	it.Categories = append([]evidence.Category(nil), template.Categories...)
	if template.OpenSource != nil {
		o := *template.OpenSource
		it.OpenSource = &o
	}
	it.Filename = filepath.Base(path)
	var r io.Reader = f
	var bar *progress
	if isTerminal(c.stderr) {
		bar = newProgress(c.stderr, it.Filename, info.Size())
		r = bar.reader(f)
	}
	res, err := a.Evidence.Ingest(ctx, r, sha, &it)
	if bar != nil {
		bar.done(err == nil)
	}
	if err != nil {
		return nil, nil, err
	}
	return &it, res.Duplicates, nil
}

func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return plural(int(n), "byte", "bytes")
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func (c *cli) evidenceListCommand() *cobra.Command {
	var incidentID, actID, typ, category string
	var limit, offset int
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List evidence items, newest first",
		Example: "  dossier evidence list --incident 0192f6c4-…\n  dossier evidence list --type video --category linkage --json",
		Args:    noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			f := evidence.Filter{IncidentID: incidentID, ActID: actID, Type: evidence.Type(typ),
				Category: evidence.Category(category), Limit: limit, Offset: offset}
			page, err := a.Evidence.List(ctx, f)
			if errs, ok := record.AsErrors(err); ok {
				return &exitError{code: ExitUsage, err: &invalidError{what: "the filter", errs: errs, flag: flagFor(map[string]string{
					"incident": "--incident", "act": "--act", "type": "--type", "category": "--category", "limit": "--limit", "offset": "--offset"})}}
			}
			if err != nil {
				return err
			}
			if page.Items == nil {
				page.Items = []evidence.Item{}
			}
			if asJSON {
				return writeJSON(c.stdout, page)
			}
			if len(page.Items) == 0 {
				fmt.Fprintln(c.stdout, "No evidence items match.")
				return nil
			}
			t := newTable(c.stdout, "ID", "ADDED", "TYPE", "FILE", "SIZE", "MEDIA TYPE", "SHA-256")
			for _, it := range page.Items {
				t.row(it.ID, formatTime(it.CreatedAt), string(it.Type), truncate(it.Filename, 40), formatSize(it.Blob.Size),
					it.MediaType, it.Blob.SHA256[:16]+"…")
			}
			if err := t.flush(); err != nil {
				return err
			}
			if end := offset + len(page.Items); end < page.Total {
				fmt.Fprintf(c.stdout, "%d to %d of %d items; next page: --offset %d\n", offset+1, end, page.Total, end)
			} else {
				fmt.Fprintf(c.stdout, "%s.\n", plural(page.Total, "item", "items"))
			}
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&incidentID, "incident", "", "only items linked to this `INCIDENT` or one of its acts")
	fl.StringVar(&actID, "act", "", "only items linked to this `ACT`")
	fl.StringVar(&typ, "type", "", "only items of this type")
	fl.StringVar(&category, "category", "", "only items serving this category: "+enumNames(evidence.Categories))
	fl.IntVar(&limit, "limit", 50, "items per page, at most 500")
	fl.IntVar(&offset, "offset", 0, "skip this many items")
	fl.BoolVar(&asJSON, "json", false, "print the page as JSON")
	return cmd
}

func getEvidence(ctx context.Context, a *app.App, id string) (*evidence.Item, error) {
	it, err := a.Evidence.Get(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("no evidence item has ID %q (see 'dossier evidence list')", id)
	}
	return it, err
}

func (c *cli) evidenceShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an evidence item: what is asserted, what was extracted, its custody",
		Args:  exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			it, err := getEvidence(ctx, a, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, it)
			}
			events, err := a.Evidence.Custody(ctx, it.ID)
			if err != nil {
				return err
			}
			code := ""
			if it.SurvivorID != "" {
				sv, err := a.Survivors.Get(ctx, it.SurvivorID)
				if err != nil {
					return err
				}
				code = sv.Code
			}
			c.printEvidence(it, code, events)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the item as JSON")
	return cmd
}

func (c *cli) printEvidence(it *evidence.Item, survivorCode string, events []evidence.Event) {
	w := c.stdout
	f := newFields(w)
	f.add("Evidence", it.ID)
	f.add("File", it.Filename)
	f.add("Media type", it.MediaType+" (read from the content)")
	size := formatSize(it.Blob.Size)
	if it.Blob.Size >= 1024 {
		size += fmt.Sprintf(" (%d bytes)", it.Blob.Size)
	}
	f.add("Size", size)
	f.add("SHA-256", it.Blob.SHA256)
	if it.SurvivorID != "" {
		f.add("Survivor", survivorLine(it, survivorCode))
	}
	if it.Shredded() {
		f.add("Content", "DESTROYED at the survivor's request (crypto-shredded on "+it.ShreddedAt.UTC().Format("2006-01-02")+
			"): it can never be read again; its record, SHA-256 and custody remain")
	}
	f.add("Type", it.Type.Label())
	cats := make([]string, len(it.Categories))
	for i, cat := range it.Categories {
		cats[i] = cat.Label()
	}
	f.add("Categories", strings.Join(cats, ", "))
	f.add("Language", it.Language)
	for _, l := range it.Links {
		f.add("Linked to", string(l.Kind)+" "+l.ID)
	}
	f.add("Version", fmt.Sprintf("%d, updated %s by %s", it.Version, formatTime(it.UpdatedAt), it.UpdatedBy))
	f.add("Added", fmt.Sprintf("%s by %s", formatTime(it.CreatedAt), it.CreatedBy))
	f.flush()
	if it.Description != "" {
		fmt.Fprintln(w, "\nDescription")
		indent(w, it.Description, "  ")
	}
	cp := it.Capture
	if cp.By != "" || cp.Date.Precision != record.DateUnknown || cp.At != nil || cp.Place != "" || cp.Latitude != nil || cp.Device != "" {
		fmt.Fprintln(w, "\nCapture (as asserted)")
	}
	f = newFields(w)
	f.add("  By", cp.By)
	if cp.Date.Precision != record.DateUnknown {
		f.add("  Date", describeDate(cp.Date))
	}
	if cp.At != nil {
		f.add("  At", cp.At.UTC().Format(time.RFC3339))
	}
	place := cp.Place
	if cp.Latitude != nil && cp.Longitude != nil {
		place = strings.TrimSpace(fmt.Sprintf("%s (%g, %g)", place, *cp.Latitude, *cp.Longitude))
	}
	f.add("  Place", place)
	f.add("  Device", cp.Device)
	f.flush()
	if o := it.OpenSource; o != nil {
		fmt.Fprintln(w, "\nOpen-source capture")
		f = newFields(w)
		f.add("  URL", o.URL)
		if o.CapturedAt != nil {
			f.add("  Captured at", o.CapturedAt.UTC().Format(time.RFC3339))
		}
		if o.HTMLSource != nil {
			f.add("  HTML source", fmt.Sprintf("SHA-256 %s (%s)", o.HTMLSource.SHA256, formatSize(o.HTMLSource.Size)))
		}
		if o.FullPage != nil {
			f.add("  Full page", fmt.Sprintf("SHA-256 %s (%s)", o.FullPage.SHA256, formatSize(o.FullPage.Size)))
		}
		f.add("  Tool", strings.TrimSpace(o.Tool+" "+o.ToolVersion))
		f.add("  Tool's hash", o.Hash)
		if m := o.Missing(); len(m) > 0 {
			f.add("  Lacking", strings.Join(m, ", ")+" (Berkeley Protocol minimum)")
		}
		f.flush()
	}
	if ex := it.Extracted; ex != nil {
		fmt.Fprintf(w, "\nExtracted from the file by %s (embedded metadata can be edited by anyone: not verified)\n", ex.Tool)
		f = newFields(w)
		f.add("  Problem", ex.Error)
		if ex.Withheld {
			f.add("  Withheld", "when, where and with what it was made: the file identifies a survivor (read it from the file)")
		}
		f.add("  Captured at", ex.CapturedAt)
		f.add("  Camera", strings.TrimSpace(ex.Make+" "+ex.Model))
		f.add("  Serial", ex.Serial)
		f.add("  Software", ex.Software)
		if ex.Latitude != nil && ex.Longitude != nil {
			f.add("  Position", fmt.Sprintf("%g, %g", *ex.Latitude, *ex.Longitude))
		}
		if ex.Width > 0 {
			f.add("  Size", fmt.Sprintf("%d×%d", ex.Width, ex.Height))
		}
		if ex.Duration > 0 {
			f.add("  Duration", fmt.Sprintf("%.3f s", ex.Duration))
		}
		f.add("  Format", ex.Format)
		f.add("  Streams", strings.Join(ex.Streams, "; "))
		f.flush()
	}
	fmt.Fprintf(w, "\nCustody (%s; 'dossier evidence custody %s' for all)\n", plural(len(events), "event", "events"), it.ID)
	for _, e := range events[max(0, len(events)-5):] {
		fmt.Fprintf(w, "  %s  %s by %s\n", formatTime(e.At), e.Kind.Label(), oneLine(e.By))
	}
}

func (c *cli) evidenceGetCommand() *cobra.Command {
	var out, purpose string
	var force bool
	cmd := &cobra.Command{
		Use:   "get ID --out FILE",
		Short: "Write an item's content to a file, verifying its hash",
		Long: `Write an evidence item's content to FILE. The content is hashed as it is
written: if it no longer has the item's SHA-256, FILE is removed and the
command fails. Either way the export is recorded in the item's chain of
custody, with the hash computed and --purpose.`,
		Example: "  dossier evidence get 0192f6c4-… --out /media/usb/exhibit-12.mp4 --purpose \"disclosure to the defence\"",
		Args:    exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out FILE is required: say where to write the content")
			}
			if _, err := os.Stat(out); err == nil && !force {
				return usagef("--out %s exists; give --force to replace it", out)
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			it, err := getEvidence(ctx, a, args[0])
			if err != nil {
				return err
			}
			if it.Shredded() {
				return fmt.Errorf("the file of %s was destroyed at the survivor's request (crypto-shredded on %s): it can never be read again",
					it.ID, it.ShreddedAt.UTC().Format("2006-01-02"))
			}
			tmp, err := os.CreateTemp(filepath.Dir(out), ".dossier-export-*")
			if err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			defer os.Remove(tmp.Name())
			ev, err := a.Evidence.Export(ctx, it.ID, tmp, evidence.Event{Kind: evidence.Exported, Purpose: purpose})
			if cerr := tmp.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("write %s: %w", out, cerr)
			}
			if errors.Is(err, blob.ErrHashMismatch) {
				return fmt.Errorf("the stored content of %s no longer has its SHA-256 %s (it hashes to %s); nothing was written, and the failed export is in its custody history",
					it.ID, it.Blob.SHA256, ev.SHA256)
			}
			if err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(c.stdout, "Wrote %s (%s, SHA-256 %s verified); recorded as exported in its chain of custody.\n",
				out, formatSize(it.Blob.Size), ev.SHA256)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the content to `FILE`")
	cmd.Flags().StringVar(&purpose, "purpose", "", "why it is exported, for the chain of custody")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

func (c *cli) evidenceEditCommand() *cobra.Command {
	var in evidenceInput
	var unlink []string
	var file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "edit ID",
		Short: "Change what is asserted about an evidence item",
		Long: `Change what is asserted about an evidence item: the flags given change those
fields and leave the rest; --incident and --act add links, --unlink removes
one (KIND:ID). The content, and what was extracted from it, never change.

--survivor ties the item to the survivor its file identifies: its files are
sealed again with that survivor's key, checked against their SHA-256, the
copies under the old key deleted, and the move recorded in the chain of
custody. --no-survivor unties it (back under the deployment's key, where the
survivor's erasure no longer reaches it).

--file replaces the whole description with the JSON in FILE, as 'evidence
show --json' prints it; its "version" must be the version that was read.`,
		Example: "  dossier evidence edit 0192f6c4-… --type perpetrator_media --category linkage --description \"Insignia visible at 0:42\"",
		Args:    exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			flagsGiven := fsChanged(cmd.Flags(), "incident", "act", "unlink", "type", "category", "description", "language",
				"captured-by", "captured-on", "captured-at", "place", "device", "url", "html", "full-page", "url-captured-at",
				"tool", "tool-version", "tool-hash", "survivor", "no-survivor")
			if file != "" && flagsGiven {
				return usagef("--file replaces the whole item: give either --file or the field flags, not both")
			}
			if file == "" && !flagsGiven {
				return usagef("nothing to change: give the fields to change as flags (such as --type video), or --file")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			stored, err := getEvidence(ctx, a, args[0])
			if err != nil {
				return err
			}
			it := *stored
			hint := evidenceFlags
			if file != "" {
				it = evidence.Item{}
				if err := c.readJSONFile(file, &it); err != nil {
					return err
				}
				if it.ID == "" {
					it.ID = stored.ID
				}
				if it.ID != stored.ID {
					return usagef("the file holds evidence item %s, not %s", it.ID, stored.ID)
				}
				if it.Version == 0 {
					return &exitError{code: ExitInvalid, err: &invalidError{what: "the evidence item", errs: record.Errors{{
						Field: "version", Code: "required", Message: "give the version the change starts from ('evidence show ID --json' prints it)"}}}}
				}
				hint = nil
			} else {
				survivorID, keep, err := in.survivorOf(ctx, a, cmd.Flags())
				if err != nil {
					return err
				}
				if !keep {
					it.SurvivorID = survivorID
				}
				if err := in.apply(ctx, a, cmd.Flags(), &it); err != nil {
					return invalid("the evidence item", err, hint)
				}
				links, err := in.links(ctx, a)
				if err != nil {
					return err
				}
				it.Links = append(append([]evidence.Link(nil), stored.Links...), links...)
				for _, u := range unlink {
					kind, id, ok := strings.Cut(u, ":")
					l := evidence.Link{Kind: evidence.LinkKind(kind), ID: id}
					i := -1
					for j, have := range it.Links {
						if have == l {
							i = j
						}
					}
					if !ok || i < 0 {
						return usagef("--unlink %q: the item has no such link (give KIND:ID as 'evidence show' lists it)", u)
					}
					it.Links = append(it.Links[:i], it.Links[i+1:]...)
				}
			}
			read := it.Version
			if err := a.Evidence.Update(ctx, &it); err != nil {
				return updateError("evidence item", it.ID, read, err, hint)
			}
			if asJSON {
				return writeJSON(c.stdout, it)
			}
			fmt.Fprintf(c.stdout, "Updated evidence item %s to version %d.\n", it.ID, it.Version)
			switch {
			case it.SurvivorID != stored.SurvivorID && it.SurvivorID != "":
				fmt.Fprintln(c.stdout, "Its files are sealed again with the key of the survivor it identifies; the copies under the previous key are deleted.")
			case it.SurvivorID != stored.SurvivorID:
				fmt.Fprintln(c.stdout, "Its files are sealed again with the deployment's key: the survivor's erasure will no longer reach them.")
			}
			return nil
		}),
	}
	in.register(cmd.Flags(), true)
	cmd.Flags().StringArrayVar(&unlink, "unlink", nil, "remove the link `KIND:ID` (incident:… or act:…); repeatable")
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the whole item as JSON from `FILE` (- for standard input)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored item as JSON")
	return cmd
}

func (c *cli) evidenceHistoryCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history ID",
		Short: "Show who changed what is asserted about an item, when, and what",
		Args:  exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := getEvidence(ctx, a, args[0]); err != nil {
				return err
			}
			revs, err := history(ctx, a, evidence.Kind, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, revs)
			}
			printHistory(c.stdout, revs)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the revisions as JSON")
	return cmd
}

func (c *cli) evidenceCustodyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "custody ID",
		Short: "Show an item's chain of custody; add to it; report it",
		Long: `Show an evidence item's chain of custody: every event in the order it
happened, with the hash verified at that moment and who verified it
(computed by Dossier, or reported by a person).

  dossier evidence custody add ID …      record an event outside Dossier
  dossier evidence custody report ID …   the custody report as CSV or HTML`,
		Args: exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			report, err := a.Evidence.CustodyReport(ctx, args[0], actor())
			if errors.Is(err, db.ErrNotFound) {
				return notFoundf("no evidence item has ID %q (see 'dossier evidence list')", args[0])
			}
			if err != nil {
				return err
			}
			if asJSON {
				events := make([]evidence.Event, len(report.Rows))
				for i, r := range report.Rows {
					events[i] = r.Event
				}
				return writeJSON(c.stdout, events)
			}
			fmt.Fprintf(c.stdout, "Chain of custody of %s (%s, SHA-256 %s)\n", report.Item.ID, report.Item.Filename, report.Item.Blob.SHA256)
			for _, r := range report.Rows {
				line := fmt.Sprintf("%d. %s  %s by %s", r.N, formatTime(r.At), r.Label, oneLine(r.By))
				if r.Recipient != "" {
					line += " to " + oneLine(r.Recipient)
				}
				fmt.Fprintln(c.stdout, line)
				f := newFields(c.stdout)
				f.add("   where", r.Place)
				f.add("   purpose", r.Purpose)
				f.add("   hash", r.Verification)
				f.add("   notes", r.Notes)
				f.add("   recorded", fmt.Sprintf("%s by %s, audit log entry %d", formatTime(r.RecordedAt), r.RecordedBy, r.AuditIndex))
				f.flush()
			}
			if report.Altered() {
				fmt.Fprintln(c.stdout, "WARNING: at least one event verified a hash other than the item's.")
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the events as JSON")
	cmd.AddCommand(c.evidenceCustodyAddCommand(), c.evidenceCustodyReportCommand())
	return cmd
}

func (c *cli) evidenceCustodyAddCommand() *cobra.Command {
	var e evidence.Event
	var kind, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add ID --event KIND --by WHO --at TIME",
		Short: "Record a custody event that happened outside Dossier",
		Long: `Record an event in an evidence item's chain of custody that happened outside
Dossier: collected in the field, transferred, copied for an expert, returned,
destroyed. Events are only ever added: a mistake is corrected by another
event saying so (--notes). A --sha256 given is recorded as reported by the
person, and whether it matches the item's hash is shown.

Events: ` + enumNames(evidence.EventKinds),
		Example: `  dossier evidence custody add 0192f6c4-… --event transferred --by "Investigator A" --to "ICC OTP" \
    --at "2024-01-15 10:00" --place "The Hague" --purpose "disclosure" --sha256 9f86d0…`,
		Args: exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			e.Kind = evidence.EventKind(strings.TrimSpace(kind))
			if at != "" {
				t, err := parseInstant("--at", at)
				if err != nil {
					return err
				}
				e.At = *t
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := getEvidence(ctx, a, args[0]); err != nil {
				return err
			}
			if err := a.Evidence.AddCustody(ctx, args[0], &e); err != nil {
				return invalid("the custody event", err, flagFor(map[string]string{"kind": "--event", "by": "--by",
					"recipient": "--to", "at": "--at", "place": "--place", "purpose": "--purpose", "sha256": "--sha256", "notes": "--notes"}))
			}
			if asJSON {
				return writeJSON(c.stdout, e)
			}
			fmt.Fprintf(c.stdout, "Recorded %s of %s (audit log entry %d).\n", e.Kind, args[0], e.AuditIndex)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&kind, "event", "", "what happened: "+enumNames(evidence.EventKinds))
	fl.StringVar(&e.By, "by", "", "who did it or held the item")
	fl.StringVar(&e.Recipient, "to", "", "to whom it went (required for transferred)")
	fl.StringVar(&at, "at", "", "when it happened: `TIME` (RFC 3339, or YYYY-MM-DD HH:MM in UTC)")
	fl.StringVar(&e.Place, "place", "", "where it happened")
	fl.StringVar(&e.Purpose, "purpose", "", "why")
	fl.StringVar(&e.SHA256, "sha256", "", "the hash verified at that moment (`HEX`), as the person reports it")
	fl.StringVar(&e.Notes, "notes", "", "anything else")
	fl.BoolVar(&asJSON, "json", false, "print the recorded event as JSON")
	return cmd
}

func (c *cli) evidenceCustodyReportCommand() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:     "report ID",
		Short:   "Write an item's custody report as CSV or printable HTML",
		Example: "  dossier evidence custody report 0192f6c4-… --format html --out custody.html",
		Args:    exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if format != "csv" && format != "html" {
				return usagef("--format %q: give csv or html", format)
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			report, err := a.Evidence.CustodyReport(ctx, args[0], actor())
			if errors.Is(err, db.ErrNotFound) {
				return notFoundf("no evidence item has ID %q (see 'dossier evidence list')", args[0])
			}
			if err != nil {
				return err
			}
			w := c.stdout
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return fmt.Errorf("write the report: %w", err)
				}
				defer f.Close()
				w = f
			}
			write := report.WriteCSV
			if format == "html" {
				write = report.WriteHTML
			}
			if err := write(w); err != nil {
				return fmt.Errorf("write the report: %w", err)
			}
			if f, ok := w.(*os.File); ok && w != c.stdout {
				return f.Close()
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv or html (printable)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

func fsChanged(fs *pflag.FlagSet, names ...string) bool {
	for _, name := range names {
		if fs.Changed(name) {
			return true
		}
	}
	return false
}

// survivorLine says whose key seals an item's file.
func survivorLine(it *evidence.Item, code string) string {
	if it.Shredded() {
		return code + " (erased: the key that sealed the file is destroyed)"
	}
	return code + " (the file is sealed with their key; reading it needs the see-identities grant)"
}
