// Command mkimage writes a one-layer container image as a docker-archive tarball,
// the format "ctr images import" reads, from files and directories on this machine.
//
//	mkimage -o out.tar -tag localhost/name:tag [-entrypoint '["/bin/x"]'] [-cmd '[]']
//	        [-env K=V]... [-user 65532] [-workdir /] SPEC...
//
// A SPEC is one of
//
//	HOSTPATH=IMAGEPATH[@UID]   a file, or a directory tree (symlinks kept), owned by UID (default 0)
//	dir:IMAGEPATH:MODE[@UID]   an empty directory, MODE in octal
//	symlink:IMAGEPATH:TARGET   a symbolic link
//
// Every entry gets the same timestamp, so the same inputs give the same image ID.
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

var epoch = time.Unix(0, 0).UTC()

func main() {
	out := flag.String("o", "", "output tarball")
	tag := flag.String("tag", "", "image reference, e.g. localhost/pause:tpx")
	entrypoint := flag.String("entrypoint", "", "entrypoint as a JSON array")
	cmd := flag.String("cmd", "", "command as a JSON array")
	user := flag.String("user", "", "user to run as")
	workdir := flag.String("workdir", "", "working directory")
	var env stringList
	flag.Var(&env, "env", "environment variable K=V (repeatable)")
	flag.Parse()
	if *out == "" || *tag == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	config := map[string]any{}
	if err := setJSONArray(config, "Entrypoint", *entrypoint); err != nil {
		fail(err)
	}
	if err := setJSONArray(config, "Cmd", *cmd); err != nil {
		fail(err)
	}
	if *user != "" {
		config["User"] = *user
	}
	if *workdir != "" {
		config["WorkingDir"] = *workdir
	}
	if len(env) > 0 {
		config["Env"] = []string(env)
	}
	if err := build(*out, *tag, config, flag.Args()); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkimage:", err)
	os.Exit(1)
}

func setJSONArray(config map[string]any, key, value string) error {
	if value == "" {
		return nil
	}
	var list []string
	if err := json.Unmarshal([]byte(value), &list); err != nil {
		return fmt.Errorf("-%s must be a JSON array of strings: %w", strings.ToLower(key), err)
	}
	config[key] = list
	return nil
}

// layer collects tar entries by image path, so parents can be added and order fixed.
type layer struct {
	entries map[string]entry
}

type entry struct {
	header tar.Header
	source string // file to copy the content from, for regular files
}

func (l *layer) add(e entry) {
	name := strings.TrimPrefix(path.Clean("/"+e.header.Name), "/")
	e.header.Name = name
	if e.header.Typeflag == tar.TypeDir {
		e.header.Name += "/"
	}
	e.header.ModTime = epoch
	e.header.Format = tar.FormatPAX
	l.entries[name] = e
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := l.entries[dir]; !ok {
			l.entries[dir] = entry{header: tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}}
		}
	}
}

func splitOwner(spec string) (string, int, error) {
	at := strings.LastIndex(spec, "@")
	if at < 0 {
		return spec, 0, nil
	}
	uid, err := strconv.Atoi(spec[at+1:])
	if err != nil {
		return "", 0, fmt.Errorf("bad owner in %q", spec)
	}
	return spec[:at], uid, nil
}

func (l *layer) addSpec(spec string) error {
	switch {
	case strings.HasPrefix(spec, "dir:"):
		rest, uid, err := splitOwner(strings.TrimPrefix(spec, "dir:"))
		if err != nil {
			return err
		}
		name, modeText, ok := strings.Cut(rest, ":")
		mode, perr := strconv.ParseInt(modeText, 8, 64)
		if !ok || perr != nil {
			return fmt.Errorf("bad dir spec %q", spec)
		}
		l.add(entry{header: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode, Uid: uid, Gid: uid}})
		return nil
	case strings.HasPrefix(spec, "symlink:"):
		name, target, ok := strings.Cut(strings.TrimPrefix(spec, "symlink:"), ":")
		if !ok {
			return fmt.Errorf("bad symlink spec %q", spec)
		}
		l.add(entry{header: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}})
		return nil
	}
	rest, uid, err := splitOwner(spec)
	if err != nil {
		return err
	}
	host, image, ok := strings.Cut(rest, "=")
	if !ok {
		return fmt.Errorf("bad spec %q: want HOSTPATH=IMAGEPATH", spec)
	}
	info, err := os.Stat(host)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		l.add(entry{header: tar.Header{Name: image, Typeflag: tar.TypeReg, Mode: int64(info.Mode().Perm()), Size: info.Size(), Uid: uid, Gid: uid}, source: host})
		return nil
	}
	return filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(host, p)
		name := path.Join(image, filepath.ToSlash(rel))
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h := tar.Header{Name: name, Mode: int64(info.Mode().Perm()), Uid: uid, Gid: uid}
		switch {
		case info.IsDir():
			h.Typeflag = tar.TypeDir
			l.add(entry{header: h})
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Typeflag, h.Linkname = tar.TypeSymlink, target
			l.add(entry{header: h})
		case info.Mode().IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, info.Size()
			l.add(entry{header: h, source: p})
		}
		return nil
	})
}

func (l *layer) write(w io.Writer) error {
	names := make([]string, 0, len(l.entries))
	for name := range l.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, name := range names {
		e := l.entries[name]
		if err := tw.WriteHeader(&e.header); err != nil {
			return err
		}
		if e.source != "" {
			if err := copyFile(tw, e.source, e.header.Size); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func copyFile(w io.Writer, name string, size int64) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != size {
		err = fmt.Errorf("%s changed size while being read", name)
	}
	return err
}

func build(out, tag string, config map[string]any, specs []string) error {
	l := &layer{entries: map[string]entry{}}
	for _, spec := range specs {
		if err := l.addSpec(spec); err != nil {
			return err
		}
	}
	layerFile, err := os.CreateTemp(filepath.Dir(out), ".layer-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(layerFile.Name())
	defer layerFile.Close()
	hash := sha256.New()
	if err := l.write(io.MultiWriter(layerFile, hash)); err != nil {
		return err
	}
	diffID := "sha256:" + hex.EncodeToString(hash.Sum(nil))
	imageConfig, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       config,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history":      []map[string]any{{"created": epoch.Format(time.RFC3339), "created_by": "tpx mkimage"}},
	})
	if err != nil {
		return err
	}
	configSum := sha256.Sum256(imageConfig)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := strings.TrimPrefix(diffID, "sha256:") + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{tag}, "Layers": []string{layerName}}})
	if err != nil {
		return err
	}

	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	tw := tar.NewWriter(f)
	for _, file := range []struct {
		name string
		data []byte
	}{{configName, imageConfig}, {"manifest.json", manifest}} {
		if err := tw.WriteHeader(&tar.Header{Name: file.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(file.data)), ModTime: epoch}); err != nil {
			return err
		}
		if _, err := tw.Write(file.data); err != nil {
			return err
		}
	}
	info, err := layerFile.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: layerName, Typeflag: tar.TypeReg, Mode: 0o644, Size: info.Size(), ModTime: epoch}); err != nil {
		return err
	}
	if _, err := layerFile.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(tw, layerFile); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
