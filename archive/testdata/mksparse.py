# Makes sparse.tar (a PAX 1.0 sparse file of 64 MiB holding one byte) and
# sparse-huge.tar (the same claiming 2^62 bytes): Go's tar writer cannot
# write sparse files. Run from the repository root: python3 archive/testdata/mksparse.py
import tarfile, io
# build a PAX 1.0 sparse entry by hand with python's tarfile pax headers
body = b"1\n0\n1\n"
body += b"\0"*(512-len(body)) + b"x"
ti = tarfile.TarInfo("GNUSparseFile.0/s")
ti.size = len(body)
ti.pax_headers = {"GNU.sparse.major":"1","GNU.sparse.minor":"0","GNU.sparse.name":"s","GNU.sparse.realsize":str(64<<20)}
with tarfile.open("archive/testdata/sparse.tar","w",format=tarfile.PAX_FORMAT) as t:
    t.addfile(ti, io.BytesIO(body))
ti.pax_headers["GNU.sparse.realsize"] = str(1<<62)
with tarfile.open("archive/testdata/sparse-huge.tar","w",format=tarfile.PAX_FORMAT) as t:
    t.addfile(ti, io.BytesIO(body))
