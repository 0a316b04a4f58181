/* Test-harness shim for scripts/windows-smoke.sh only (never shipped).
 * Debian 12 ships Wine 8, which has no bcryptprimitives.dll; Go >= 1.24 programs load
 * ProcessPrng from it at start-up and abort without it. Real Windows 10/11 has it. */
#include <windows.h>
#include <ntsecapi.h>
/* Wine 8 lacks bcryptprimitives.dll, which Go >= 1.24 loads for ProcessPrng. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (!RtlGenRandom(data, n)) return FALSE;
    data += n; len -= n;
  }
  return TRUE;
}
