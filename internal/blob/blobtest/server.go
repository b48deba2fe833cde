package blobtest

import (
	"context"
	"crypto/rand"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dossier-org/dossier/internal/blob"
)

// VersitygwVersion is the versitygw release the tests run against;
// scripts/install-s3-server.sh installs the same one.
const VersitygwVersion = "v1.8.0"

// server is the S3 server shared by one test process.
var server s3Server

type s3Server struct {
	once     sync.Once
	cfg      blob.S3Config
	err      error
	external bool // DOSSIER_TEST_S3_URL: someone else's server, used under a prefix

	dir    string
	cmd    *exec.Cmd
	exited chan error
}

func (s *s3Server) start() (blob.S3Config, error) {
	s.once.Do(func() {
		if location := os.Getenv("DOSSIER_TEST_S3_URL"); location != "" {
			s.external = true
			s.cfg, s.err = externalConfig(location)
			return
		}
		s.cfg, s.err = s.boot()
	})
	return s.cfg, s.err
}

func externalConfig(location string) (blob.S3Config, error) {
	_, cfg, err := blob.ParseLocation(location, "")
	if err != nil {
		return blob.S3Config{}, fmt.Errorf("DOSSIER_TEST_S3_URL: %w", err)
	}
	if cfg.Bucket == "" {
		return blob.S3Config{}, errors.New("DOSSIER_TEST_S3_URL: want an s3:// location")
	}
	cfg.AccessKeyID = os.Getenv("AWS_ACCESS_KEY_ID")
	cfg.SecretAccessKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
	cfg.SessionToken = os.Getenv("AWS_SESSION_TOKEN")
	return cfg, nil
}

// Binary finds the versitygw executable: in $HOME/.cache/dossier/bin, where
// scripts/install-s3-server.sh puts it, then in GOPATH/bin, then in PATH.
func Binary() (string, error) {
	var candidates []string
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "dossier", "bin", "versitygw"))
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		candidates = append(candidates, filepath.Join(dir, "bin", "versitygw"))
	}
	for _, path := range candidates {
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("no versitygw binary in %s or PATH", strings.Join(candidates, ", "))
}

func (s *s3Server) boot() (blob.S3Config, error) {
	bin, err := Binary()
	if err != nil {
		return blob.S3Config{}, err
	}
	if info, err := buildinfo.ReadFile(bin); err == nil && info.Main.Version != VersitygwVersion {
		fmt.Fprintf(os.Stderr, "blobtest: %s is versitygw %s, the tests pin %s (scripts/install-s3-server.sh)\n", bin, info.Main.Version, VersitygwVersion)
	}
	removeAbandoned()
	dir, err := os.MkdirTemp("", serverDirPattern)
	if err != nil {
		return blob.S3Config{}, err
	}
	s.dir = dir
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return blob.S3Config{}, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return blob.S3Config{}, err
	}
	cfg := blob.S3Config{
		Region:          "us-east-1",
		Insecure:        true,
		AccessKeyID:     randomHex(10),
		SecretAccessKey: randomHex(20),
	}
	// The free port is found by binding and releasing it, so another
	// process may take it first: try a few.
	for attempt := 1; ; attempt++ {
		cfg.Endpoint, err = freeLoopbackAddr()
		if err != nil {
			return blob.S3Config{}, err
		}
		err = s.run(bin, data, cfg)
		if err == nil || attempt == 3 {
			break
		}
	}
	return cfg, err
}

func (s *s3Server) run(bin, data string, cfg blob.S3Config) error {
	logPath := filepath.Join(s.dir, "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--port", cfg.Endpoint, "--region", cfg.Region, "--quiet", "posix", data)
	// Credentials through the environment, not the command line that any
	// local user can read.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+cfg.AccessKeyID, "ROOT_SECRET_ACCESS_KEY="+cfg.SecretAccessKey)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	client, err := adminClient(cfg)
	if err != nil {
		cmd.Process.Kill()
		<-exited
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.ListBuckets(ctx)
		cancel()
		if err == nil {
			s.cmd, s.exited = cmd, exited
			return nil
		}
		select {
		case werr := <-exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("versitygw exited (%v): %s", werr, strings.TrimSpace(string(log)))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("versitygw did not answer on %s within 30s: %v: %s", cfg.Endpoint, err, strings.TrimSpace(string(log)))
		}
	}
}

const (
	serverDirPattern = "dossier-s3-"
	ownerFile        = "owner.pid" // the test process the server belongs to
)

// removeAbandoned deletes the directories of servers whose test process
// ended without stopping them (a TestMain without Main or Stop, a killed
// run): the kernel has killed the server with its parent, but its files
// remain. A directory without an owner file is left alone for an hour, in
// case its process is just starting.
func removeAbandoned() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), serverDirPattern+"*"))
	for _, dir := range dirs {
		pid, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			if info, statErr := os.Stat(dir); statErr == nil && time.Since(info.ModTime()) > time.Hour {
				os.RemoveAll(dir)
			}
			continue
		}
		if n, err := strconv.Atoi(string(pid)); err == nil && n != os.Getpid() && !processAlive(n) {
			os.RemoveAll(dir)
		}
	}
}

// Stop stops the S3 server, if one was started, and removes its files. Main
// calls it; a TestMain that runs another package's Main calls it after that
// (see the package documentation).
func Stop() { server.stop() }

func (s *s3Server) stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

func adminClient(cfg blob.S3Config) (*minio.Client, error) {
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	return minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
		Secure: !cfg.Insecure,
		Region: cfg.Region,
	})
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
