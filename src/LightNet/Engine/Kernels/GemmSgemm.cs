using System.Runtime.CompilerServices;
namespace LightNet.Engine.Kernels;

/// <summary>General C = alpha·op(A)·op(B) + beta·C with both operands known only at run time (MatMul, Gemm on activations).</summary>
internal static unsafe class Sgemm
{
    [ThreadStatic]
    private static GemmWork? t_work;

    /// <summary>Scratch bytes <see cref="Multiply"/> needs for any ISA.</summary>
    public static long ScratchBytes(int m, int n, int k, int threads)
    {
        long max = 0;
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Avx2, Isa.Avx512 })
        {
            var cfg = GemmConfig.For(isa);
            max = Math.Max(max, GemmConfig.Align64(cfg.PackedASize(m, k) * sizeof(float)) + (cfg.PackBBytes * threads));
        }

        return max;
    }

    /// <summary>
    /// C[m,n] = alpha·op(A)[m,k]·op(B)[k,n] + beta·C (row-major, leading dimensions lda/ldb/ldc). With beta = 0, C is
    /// not read. Allocation-free after the first call on a thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, byte* scratch, WorkerPool pool, Isa isa)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        if (k <= 0 || alpha == 0f)
        {
            for (int i = 0; i < m; i++)
            {
                float* row = c + ((long)i * ldc);
                for (int j = 0; j < n; j++)
                {
                    row[j] = beta == 0f ? 0f : beta * row[j];
                }
            }

            return;
        }

        var cfg = GemmConfig.For(isa);
        var work = t_work;
        if (work == null || work.Config != cfg || work.Threads != pool.Threads)
        {
            work = t_work = new GemmWork(cfg, m, n, k, pool.Threads);
        }

        work.Configure(m, n, k);
        float* packedA = (float*)scratch;
        GemmWork.PackA(cfg, a, transA ? 1 : lda, transA ? lda : 1, m, k, alpha, packedA);
        work.A = packedA;
        work.B = GemmBSource.Dense(b, ldb, transB);
        work.C = c;
        work.Ldc = ldc;
        work.RowBias = null;
        work.ColBias = null;
        work.Residual = beta != 0f ? c : null;
        work.Ldr = ldc;
        work.Beta = beta;
        work.Activation = Activation.None;
        work.Scratch = scratch + GemmConfig.Align64(cfg.PackedASize(m, k) * sizeof(float));
        pool.Run(work, work.Items, work.Chunks);
    }
}
