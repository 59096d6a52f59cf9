using LightNet.Backends.Cudnn;
using LightNet.Backends.Cudnn.Native;

namespace LightNet.Tests.Backends.Cudnn;

/// <summary>
/// Executes an FP32 <see cref="CudnnPlan"/> on the CPU with plain loops that follow the documented semantics of each
/// cuDNN / cuBLAS / CUDA call (descriptor dims and strides, alpha/beta blending, column-major GEMM, pitched copies),
/// over one float array laid out exactly as the plan places buffers. It checks the lowering — call parameters,
/// layouts, offsets and the memory plan's reuse — against ONNX Runtime without a GPU.
/// </summary>
internal sealed class PlanInterpreter
{
    private readonly CudnnPlan _plan;
    private readonly float[] _arena;
    private readonly float[] _constants;

    public PlanInterpreter(CudnnPlan plan)
    {
        if (plan.Fp16)
        {
            throw new ArgumentException("The interpreter runs FP32 plans.");
        }

        _plan = plan;
        _arena = new float[plan.ArenaBytes / 4];
        // Garbage, not zeros: a call that reads memory it did not write shows up as a wrong result.
        Array.Fill(_arena, float.NaN);
        _constants = new float[plan.ConstantBytes / 4];
        foreach (PlanBuffer b in plan.Buffers.Where(b => b.IsConstant))
        {
            b.Constant.AsSpan().CopyTo(_constants.AsSpan((int)(b.ByteOffset / 4)));
        }
    }

    public Dictionary<string, float[]> Run(IReadOnlyDictionary<string, float[]> inputs)
    {
        foreach (PlanBinding i in _plan.Inputs)
        {
            inputs[i.Boundary.Name].CopyTo(Span(i.Location, i.Elements));
        }

        foreach (CudnnCall call in _plan.Calls)
        {
            Execute(call);
        }

        return _plan.Outputs.ToDictionary(o => o.Boundary.Name, o => Span(o.Location, o.Elements).ToArray());
    }

    private (float[] Memory, int Base) At(DeviceRef r)
    {
        PlanBuffer b = _plan.Buffers[r.Buffer];
        return (b.IsConstant ? _constants : _arena, (int)(b.ByteOffset / 4 + r.Offset));
    }

    private Span<float> Span(DeviceRef r, long count)
    {
        (float[] m, int o) = At(r);
        return m.AsSpan(o, (int)count);
    }

    private float Get(DeviceRef r, long i)
    {
        (float[] m, int o) = At(r);
        return m[o + i];
    }

    private void Set(DeviceRef r, long i, float v)
    {
        (float[] m, int o) = At(r);
        m[o + i] = v;
    }

    /// <summary>Every index vector of <paramref name="dims"/>, row-major.</summary>
    private static IEnumerable<int[]> Indices(int[] dims)
    {
        int[] idx = new int[dims.Length];
        long total = dims.Aggregate(1L, (a, d) => a * d);
        for (long n = 0; n < total; n++)
        {
            yield return idx;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < dims[d]) break;
                idx[d] = 0;
            }
        }
    }

    private static long Offset(TensorLayout l, int[] idx)
    {
        long o = 0;
        for (int d = 0; d < idx.Length; d++)
        {
            o += (l.Dims[d] == 1 ? 0 : idx[d]) * (long)l.Strides[d];
        }

        return o;
    }

    private void Execute(CudnnCall call)
    {
        switch (call)
        {
            case ConvCall c: Conv(c); break;
            case AddTensorCall c:
                foreach (int[] i in Indices(c.CLayout.Dims))
                {
                    long co = Offset(c.CLayout, i);
                    float prior = c.Beta == 0 ? 0 : c.Beta * Get(c.C, co);
                    Set(c.C, co, (c.Alpha * Get(c.A, Offset(c.ALayout, i))) + prior);
                }

                break;
            case ActivationCall c:
                for (long i = 0; i < c.Layout.Count; i++)
                {
                    float x = Get(c.X, i);
                    Set(c.Y, i, c.Mode switch
                    {
                        CudnnActivationMode.Relu => MathF.Max(x, 0),
                        CudnnActivationMode.ClippedRelu => MathF.Min(MathF.Max(x, 0), (float)c.Coef),
                        CudnnActivationMode.Sigmoid => 1f / (1f + MathF.Exp(-x)),
                        CudnnActivationMode.Tanh => MathF.Tanh(x),
                        _ => throw new NotSupportedException(c.Mode.ToString()),
                    });
                }

                break;
            case OpTensorCall c:
                foreach (int[] i in Indices(c.CLayout.Dims))
                {
                    float a = c.Alpha1 * Get(c.A, Offset(c.ALayout, i)), b = c.Alpha2 * Get(c.B, Offset(c.BLayout, i));
                    long co = Offset(c.CLayout, i);
                    float prior = c.Beta == 0 ? 0 : c.Beta * Get(c.C, co);
                    Set(c.C, co, prior + c.Op switch
                    {
                        CudnnOpTensorOp.Add => a + b,
                        CudnnOpTensorOp.Mul => a * b,
                        CudnnOpTensorOp.Min => MathF.Min(a, b),
                        CudnnOpTensorOp.Max => MathF.Max(a, b),
                        _ => throw new NotSupportedException(c.Op.ToString()),
                    });
                }

                break;
            case PoolingCall c: Pool(c); break;
            case SoftmaxCall c:
            {
                int[] d = c.Layout.Dims;
                int n = d[0], ch = d[1], inner = d[2] * d[3];
                for (int b = 0; b < n; b++)
                for (int s = 0; s < inner; s++)
                {
                    float max = float.NegativeInfinity;
                    for (int k = 0; k < ch; k++) max = MathF.Max(max, Get(c.X, ((long)b * ch + k) * inner + s));
                    double sum = 0;
                    for (int k = 0; k < ch; k++) sum += Math.Exp(Get(c.X, ((long)b * ch + k) * inner + s) - max);
                    for (int k = 0; k < ch; k++)
                    {
                        double e = Get(c.X, ((long)b * ch + k) * inner + s) - max;
                        Set(c.Y, ((long)b * ch + k) * inner + s, (float)(c.Log ? e - Math.Log(sum) : Math.Exp(e) / sum));
                    }
                }

                break;
            }

            case TransformCall c:
                foreach (int[] i in Indices(c.YLayout.Dims))
                {
                    Set(c.Y, Offset(c.YLayout, i), Get(c.X, Offset(c.XLayout, i)));
                }

                break;
            case GemmCall c:
                for (int col = 0; col < c.N; col++)
                for (int row = 0; row < c.M; row++)
                {
                    double acc = 0;
                    for (int k = 0; k < c.K; k++)
                    {
                        float a = c.TransA ? Get(c.A, (long)row * c.Lda + k) : Get(c.A, (long)k * c.Lda + row);
                        float b = c.TransB ? Get(c.B, (long)k * c.Ldb + col) : Get(c.B, (long)col * c.Ldb + k);
                        acc += a * b;
                    }

                    long ci = (long)col * c.Ldc + row;
                    Set(c.C, ci, (float)((c.Alpha * acc) + (c.Beta == 0 ? 0 : c.Beta * Get(c.C, ci))));
                }

                break;
            case CopyCall c:
                for (long r = 0; r < c.Height; r++)
                {
                    Span(c.Source.At(r * c.SourcePitch), c.Width).CopyTo(Span(c.Destination.At(r * c.DestinationPitch), c.Width));
                }

                break;
            case LrnCall c:
            {
                int[] d = c.Layout.Dims;
                int inner = d[2] * d[3];
                var y = new float[c.Layout.Count];
                for (int b = 0; b < d[0]; b++)
                for (int ch = 0; ch < d[1]; ch++)
                for (int s = 0; s < inner; s++)
                {
                    double sq = 0;
                    for (int k = Math.Max(0, ch - ((c.Size - 1) / 2)); k <= Math.Min(d[1] - 1, ch + (c.Size / 2)); k++)
                    {
                        float v = Get(c.X, ((long)b * d[1] + k) * inner + s);
                        sq += v * v;
                    }

                    long i = ((long)b * d[1] + ch) * inner + s;
                    y[i] = (float)(Get(c.X, i) / Math.Pow(c.K + (c.Alpha / c.Size * sq), c.Beta));
                }

                y.CopyTo(Span(c.Y, y.Length));
                break;
            }

            default:
                throw new NotSupportedException(call.Function);
        }
    }

    private void Conv(ConvCall c)
    {
        int[] xd = c.XLayout.Dims, yd = c.YLayout.Dims, f = c.FilterDims;
        int cinG = f[1], coutG = yd[1] / c.Groups;
        var y = new float[c.YLayout.Count];
        (float[] xm, int xo) = At(c.X);
        (float[] wm, int wo) = At(c.W);
        for (int n = 0; n < yd[0]; n++)
        for (int oc = 0; oc < yd[1]; oc++)
        {
            int g = oc / coutG;
            for (int oh = 0; oh < yd[2]; oh++)
            for (int ow = 0; ow < yd[3]; ow++)
            {
                double acc = 0;
                for (int ic = 0; ic < cinG; ic++)
                for (int kh = 0; kh < f[2]; kh++)
                {
                    int ih = (oh * c.StrideH) - c.PadH + (kh * c.DilationH);
                    if (ih < 0 || ih >= xd[2]) continue;
                    for (int kw = 0; kw < f[3]; kw++)
                    {
                        int iw = (ow * c.StrideW) - c.PadW + (kw * c.DilationW);
                        if (iw < 0 || iw >= xd[3]) continue;
                        acc += xm[xo + ((((long)n * xd[1] + (g * cinG) + ic) * xd[2] + ih) * xd[3]) + iw]
                            * wm[wo + ((((long)oc * cinG + ic) * f[2] + kh) * f[3]) + kw];
                    }
                }

                long yi = (((long)n * yd[1] + oc) * yd[2] + oh) * yd[3] + ow;
                if (c.Fused)
                {
                    double v = acc + Get(c.Bias!.Value, oc) + (c.Z is DeviceRef z ? Get(z, yi) : 0);
                    y[yi] = (float)Math.Max(v, 0);
                }
                else
                {
                    y[yi] = (float)(acc + (c.Beta == 0 ? 0 : c.Beta * Get(c.Y, yi)));
                }
            }
        }

        y.CopyTo(Span(c.Y, y.Length));
    }

    private void Pool(PoolingCall c)
    {
        int[] xd = c.XLayout.Dims, yd = c.YLayout.Dims;
        for (int n = 0; n < yd[0]; n++)
        for (int ch = 0; ch < yd[1]; ch++)
        for (int oh = 0; oh < yd[2]; oh++)
        for (int ow = 0; ow < yd[3]; ow++)
        {
            double max = double.NegativeInfinity, sum = 0;
            int valid = 0;
            for (int kh = 0; kh < c.WindowH; kh++)
            for (int kw = 0; kw < c.WindowW; kw++)
            {
                int ih = (oh * c.StrideH) - c.PadH + kh, iw = (ow * c.StrideW) - c.PadW + kw;
                if (ih < 0 || ih >= xd[2] || iw < 0 || iw >= xd[3]) continue;
                float v = Get(c.X, (((long)n * xd[1] + ch) * xd[2] + ih) * xd[3] + iw);
                max = Math.Max(max, v);
                sum += v;
                valid++;
            }

            // cuDNN's include-padding average divides by the window area clipped to the padded input.
            int hEnd = Math.Min((oh * c.StrideH) - c.PadH + c.WindowH, xd[2] + c.PadH), wEnd = Math.Min((ow * c.StrideW) - c.PadW + c.WindowW, xd[3] + c.PadW);
            int area = (hEnd - ((oh * c.StrideH) - c.PadH)) * (wEnd - ((ow * c.StrideW) - c.PadW));
            float y = c.Mode switch
            {
                CudnnPoolingMode.Max => (float)max,
                CudnnPoolingMode.AverageCountIncludePadding => (float)(sum / area),
                _ => (float)(sum / valid),
            };
            Set(c.Y, (((long)n * yd[1] + ch) * yd[2] + oh) * yd[3] + ow, y);
        }
    }
}
