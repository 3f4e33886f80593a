/*
 * A STREAM-like memory bandwidth probe (after McCalpin's STREAM): times read, copy and triad
 * over arrays sized by the caller and prints one JSON object with every sample in GB/s
 * (10^9 bytes per second). Bytes counted as STREAM does: bytes the kernel asks for, without
 * write-allocate traffic.
 *
 * `read` matters most here: LLM decode streams the weights once per token and writes almost
 * nothing, so a pure read reduction is the closest kernel to what decode does. It sums 64-bit
 * integers so the compiler can vectorise the reduction without -ffast-math.
 *
 * Usage: stream <array-bytes> <repetitions>   (threads: OMP_NUM_THREADS when built with -fopenmp)
 * Read streams one array of that size; copy two; triad three.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double now_seconds(void) {
  struct timespec time_point;
  clock_gettime(CLOCK_MONOTONIC, &time_point);
  return (double)time_point.tv_sec + (double)time_point.tv_nsec * 1e-9;
}

static void print_samples(const char *name, const double *samples, int count, int last) {
  printf("    \"%s\": [", name);
  for (int index = 0; index < count; index++) printf("%s%.3f", index ? ", " : "", samples[index]);
  printf("]%s\n", last ? "" : ",");
}

int main(int argument_count, char **arguments) {
  if (argument_count < 3) {
    fprintf(stderr, "usage: %s <array-bytes> <repetitions>\n", arguments[0]);
    return 2;
  }
  /* aligned_alloc wants a size that is a multiple of the alignment: whole 64-byte lines. */
  const size_t length = strtoull(arguments[1], NULL, 10) / sizeof(double) / 8 * 8;
  const int repetitions = atoi(arguments[2]);
  if (length < 1024 || repetitions < 1) {
    fprintf(stderr, "array too small or no repetitions\n");
    return 2;
  }
  double *a = aligned_alloc(64, length * sizeof(double));
  double *b = aligned_alloc(64, length * sizeof(double));
  double *c = aligned_alloc(64, length * sizeof(double));
  if (!a || !b || !c) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  /* First touch from the threads that will use each page. */
#pragma omp parallel for schedule(static)
  for (size_t index = 0; index < length; index++) {
    a[index] = 1.0;
    b[index] = 2.0;
    c[index] = 0.0;
  }

  double *read_samples = calloc(repetitions, sizeof(double));
  double *copy_samples = calloc(repetitions, sizeof(double));
  double *triad_samples = calloc(repetitions, sizeof(double));
  const double scalar = 3.0;
  const double array_bytes = (double)(length * sizeof(double));
  uint64_t checksum = 0;

  for (int repetition = 0; repetition < repetitions; repetition++) {
    const uint64_t *words = (const uint64_t *)a;
    uint64_t sum = 0;
    double started = now_seconds();
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (size_t index = 0; index < length; index++) sum += words[index];
    read_samples[repetition] = array_bytes / (now_seconds() - started) / 1e9;
    checksum += sum;

    started = now_seconds();
#pragma omp parallel for schedule(static)
    for (size_t index = 0; index < length; index++) c[index] = a[index];
    copy_samples[repetition] = 2.0 * array_bytes / (now_seconds() - started) / 1e9;

    started = now_seconds();
#pragma omp parallel for schedule(static)
    for (size_t index = 0; index < length; index++) a[index] = b[index] + scalar * c[index];
    triad_samples[repetition] = 3.0 * array_bytes / (now_seconds() - started) / 1e9;
  }

  printf("{\n  \"threads\": %d,\n  \"arrayBytes\": %zu,\n  \"checksum\": %llu,\n", threads, length * sizeof(double),
         (unsigned long long)(checksum & 0xffff));
  printf("  \"gigabytesPerSecond\": {\n");
  print_samples("read", read_samples, repetitions, 0);
  print_samples("copy", copy_samples, repetitions, 0);
  print_samples("triad", triad_samples, repetitions, 1);
  printf("  }\n}\n");
  free(a);
  free(b);
  free(c);
  free(read_samples);
  free(copy_samples);
  free(triad_samples);
  return 0;
}
