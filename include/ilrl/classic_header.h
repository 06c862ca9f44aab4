/* classic_header.h -- a guard for NetCDF classic-format files (CDF-1, CDF-2,
 * CDF-5) that runs before nc_open: the two readers (demo_io.c,
 * landscape_io.c) call it so that a damaged header cannot make netcdf-c
 * allocate what the header claims.
 *
 * Why: netcdf-c 4.9's classic header reader trusts the counts and lengths
 * in the header.  An 814-byte file found by the fuzzer (one attribute
 * claiming 33 M characters) made nc_open run for a minute and take 7.5 GB
 * before failing (tests/fuzz/README.md).  Here every count and length of the
 * header (dimensions, attributes and their values, variables and their
 * dimension ids) is checked against the bytes left in the file, which a
 * valid header never exceeds; and every variable's type must be known, its
 * dimension ids in range and the record dimension first, without which
 * netcdf-c divides by zero in nc_open (SIGFPE).  Then every variable's data
 * (its begin offset, its size, and for record variables the record count
 * times the record size) must end within the file: netcdf-c reads the
 * missing part of a short (cut) file as zeros, which a reader would take
 * for data.
 *
 * Files of other formats (HDF5-based NetCDF-4, anything else) pass
 * untouched: nc_open judges them.  Plain stdio; no NetCDF.
 */
#ifndef ILRL_CLASSIC_HEADER_H
#define ILRL_CLASSIC_HEADER_H

/* ILRL_OK when `path` is not a classic file or its header and data are
 * consistent with the file's size; ILRL_EINPUT ("PATH: not a NetCDF file, or
 * a truncated or damaged one (header: attribute 3 claims 33554432 values,
 * 600 bytes left)", "PATH: truncated file: the data of variable 'obs' end
 * at byte 1400, but the file has 1000 bytes") otherwise.  A file that cannot be opened passes: nc_open
 * reports that better. */
int ilrl_classic_header_check(const char *path);

#endif /* ILRL_CLASSIC_HEADER_H */
