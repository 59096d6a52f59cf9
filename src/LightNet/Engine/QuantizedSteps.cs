using LightNet.Engine.Kernels;
using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>Compiles the integer nodes of the optimized graph (uint8 codes in the arena's value blocks) into plan steps.</summary>
internal static unsafe class QuantizedSteps
{
    /// <summary>The pads of a 2-D window (top, left, bottom, right) as CpuPlan resolves them (auto_pad included).</summary>
    public delegate (int Top, int Left, int Bottom, int Right) PadsOf(OptimizedNode n, long[] xd, int kh, int kw, int sh, int sw, int dh, int dw, bool ceil);

    /// <summary>Compiles integer node <paramref name="n"/>; <paramref name="pointer"/> gives a value's storage.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnsupportedOperator"/> for a geometry the integer kernels do not cover.</exception>
    /// <param name="n">The node.</param>
    /// <param name="graph">Its graph.</param>
    /// <param name="pointer">A value's storage.</param>
    /// <param name="pads">The pads of a 2-D window.</param>
    /// <param name="layout">Which values are pixel-major (<see cref="QuantizedLayout.Plan"/>).</param>
    /// <param name="isa">The instruction-set level.</param>
    /// <param name="threads">Worker threads.</param>
    public static PlanStep Compile(OptimizedNode n, OptimizedGraph graph, Func<string, nint> pointer, PadsOf pads, QuantizedLayout layout, Isa isa, int threads)
    {
        long[] xd = graph.Dims(n.Inputs[0]), yd = graph.Dims(n.Outputs[0]);
        byte* x = (byte*)pointer(n.Inputs[0]), y = (byte*)pointer(n.Outputs[0]);
        QuantizedInfo q = n.Quantized ?? throw new LightNetException(ErrorCode.InvalidModel, $"{n.OpType} node '{n.Name}' has no quantization parameters.");
        Int8Path path = Int8Paths.For(isa);
        long count = Shapes.ElementCount(xd);
        switch (n.OpType)
        {
            case "Quantize":
                return Shared(n, "quantize", count, threads, (b, e) => QuantizedElementwise.Quantize((float*)x + b, y + b, e - b, q.Output));
            case "Dequantize":
                return Shared(n, "dequantize", count, threads, (b, e) => QuantizedElementwise.Dequantize(x + b, (float*)y + b, e - b, q.Inputs[0]));
            case "QTable":
            {
                byte[] table = q.Table!;
                return Shared(n, "int8-table", count, threads, (b, e) => QuantizedElementwise.Lookup(x + b, y + b, e - b, table));
            }

            case "QAdd":
            {
                byte* other = (byte*)pointer(n.Inputs[1]);
                return Shared(n, "int8-add", count, threads,
                    (b, e) => QuantizedElementwise.Add(x + b, q.Inputs[0], other + b, q.Inputs[1], y + b, q.Output, e - b, q.Min, q.Max, path));
            }

            case "QGlobalAveragePool":
            {
                int planes = checked((int)(xd[0] * xd[1])), size = checked((int)Shapes.ElementCount(xd.AsSpan(2)));
                if (layout.IsPixelMajor(n.Inputs[0]))
                {
                    int images = checked((int)xd[0]), channels = checked((int)xd[1]);
                    return new Step(n, "int8-global-average-pool" + QuantizedLayout.Suffix(true, false),
                        (_, _) => QuantizedElementwise.GlobalAveragePoolPixelMajor(x, y, images, size, channels, q.Inputs[0], q.Output));
                }

                return new Step(n, "int8-global-average-pool", (_, _) => QuantizedElementwise.GlobalAveragePool(x, y, planes, size, q.Inputs[0], q.Output));
            }

            case "QConcat":
            {
                int axis = (int)n.Source.GetInt("axis", 1);
                axis = axis < 0 ? axis + yd.Length : axis;
                nint[] inputs = n.Inputs.Select(pointer).ToArray();
                long[] inner = n.Inputs.Select(i => Shapes.ElementCount(graph.Dims(i).AsSpan(axis))).ToArray();
                byte[]?[] tables = q.Inputs.Select(p => p == q.Output ? null : p.Table(q.Output)).ToArray();
                long outer = Shapes.ElementCount(yd.AsSpan(0, axis));
                return Shared(n, "int8-concat", outer * inner.Sum(), threads, (b, e) => QuantizedElementwise.Concat(inputs, inner, tables, y, b, e));
            }

            case "QMaxPool":
            {
                Require4D(n, xd, yd);
                long[] k = Ints(n, "kernel_shape", [], 2), s = Ints(n, "strides", [1, 1], 2), d = Ints(n, "dilations", [1, 1], 2);
                var p = pads(n, xd, (int)k[0], (int)k[1], (int)s[0], (int)s[1], (int)d[0], (int)d[1], n.Source.GetInt("ceil_mode", 0) != 0);
                var shape = new Pool2dShape(checked((int)(xd[0] * xd[1])), (int)xd[2], (int)xd[3], (int)yd[2], (int)yd[3], (int)k[0], (int)k[1],
                    (int)s[0], (int)s[1], (int)d[0], (int)d[1], p.Top, p.Left, p.Bottom, p.Right);
                bool pixelMajor = layout.IsPixelMajor(n.Inputs[0]);
                var pool = new Int8MaxPool(shape, pixelMajor ? checked((int)xd[1]) : 0);
                return new Step(n, "int8-max-pool" + (pixelMajor ? QuantizedLayout.Suffix(true, true) : string.Empty),
                    (scratch, workers) => pool.Run(x, y, scratch, workers), pool.ScratchBytes(threads));
            }

            case "QConv":
                return CompileConv(n, graph, xd, yd, x, y, q, pads, layout, isa, threads);
            case "QDense":
            {
                ConstTensor w = graph.Constants[n.Inputs[1]];
                int outF = (int)w.Dims[0], inF = (int)w.Dims[1];
                int rows = checked((int)(count / inF));
                var kernel = new Int8Dense(q.Weights, outF, inF, q.Bias!, q.Multipliers!, q.Inputs[0].ZeroPoint, q.Output.ZeroPoint, q.Min, q.Max, Int8Paths.ForDense(isa));
                return new Step(n, kernel.Algorithm, (scratch, pool) => kernel.Run(x, rows, y, scratch, pool), kernel.ScratchBytes);
            }

            default:
                throw new LightNetException(ErrorCode.UnsupportedOperator, $"{n.OpType} node '{n.Name}' has no integer kernel.");
        }
    }

    /// <summary>The 2-D shape of QConv node <paramref name="n"/> (one image), or null when its tensors are not 4-D.</summary>
    public static Conv2dShape? ConvShape(OptimizedNode n, OptimizedGraph graph, PadsOf pads)
    {
        long[] xd = graph.Dims(n.Inputs[0]), yd = graph.Dims(n.Outputs[0]), wd = graph.Dims(n.Inputs[1]);
        if (xd.Length != 4 || yd.Length != 4 || wd.Length != 4)
        {
            return null;
        }

        long[] s = Ints(n, "strides", [1, 1], 2), d = Ints(n, "dilations", [1, 1], 2);
        int kh = (int)wd[2], kw = (int)wd[3];
        var p = pads(n, xd, kh, kw, (int)s[0], (int)s[1], (int)d[0], (int)d[1], false);
        return new Conv2dShape((int)xd[1], (int)xd[2], (int)xd[3], (int)yd[1], (int)yd[2], (int)yd[3], kh, kw,
            (int)s[0], (int)s[1], (int)d[0], (int)d[1], p.Top, p.Left, (int)n.Source.GetInt("group", 1));
    }

    private static PlanStep CompileConv(OptimizedNode n, OptimizedGraph graph, long[] xd, long[] yd, byte* x, byte* y, QuantizedInfo q, PadsOf pads,
        QuantizedLayout layout, Isa isa, int threads)
    {
        Require4D(n, xd, yd, graph.Dims(n.Inputs[1]));
        Conv2dShape shape = ConvShape(n, graph, pads)!.Value;
        int batch = (int)xd[0];
        long inStride = Shapes.ElementCount(xd.AsSpan(1)), outStride = Shapes.ElementCount(yd.AsSpan(1));
        int zx = q.Inputs[0].ZeroPoint, zy = q.Output.ZeroPoint;
        bool inPixels = layout.IsPixelMajor(n.Inputs[0]), outPixels = layout.IsPixelMajor(n.Outputs[0]);
        if (shape.IsDepthwise && (inPixels || outPixels) && Int8DepthwiseDirect.Fits(shape, q.Weights, q.Bias, isa))
        {
            var direct = new Int8DepthwiseDirect(shape, q.Weights, q.Bias, q.Multipliers, zx, zy, q.Min, q.Max, isa, threads, inPixels, outPixels);
            return new Step(n, direct.Algorithm, (scratch, pool) =>
            {
                for (int i = 0; i < batch; i++)
                {
                    direct.Run(x + (i * inStride), y + (i * outStride), scratch, pool);
                }
            }, direct.ScratchBytes);
        }

        if (shape.IsDepthwise)
        {
            var dw = new Int8Depthwise(shape, q.Weights, q.Bias, q.Multipliers, zx, zy, q.Min, q.Max, Int8Paths.ForConvolution(shape, isa), inPixels, outPixels);
            return new Step(n, dw.Algorithm, (scratch, pool) =>
            {
                for (int i = 0; i < batch; i++)
                {
                    dw.Run(x + (i * inStride), y + (i * outStride), scratch, pool);
                }
            }, dw.ScratchBytes(threads), dw);
        }

        IInt8Convolution conv = Int8Convolutions.Create(shape, q.Weights, q.Bias, q.Multipliers, zx, zy, q.Min, q.Max, Int8Paths.ForConvolution(shape, isa), isa, threads,
            inPixels, outPixels);
        return new Step(n, conv.Algorithm, (scratch, pool) =>
        {
            for (int i = 0; i < batch; i++)
            {
                conv.Run(x + (i * inStride), y + (i * outStride), scratch, pool);
            }
        }, conv.ScratchBytes);
    }

    private static long[] Ints(OptimizedNode n, string name, long[] fallback, int length)
    {
        long[] v = n.Source.GetInts(name)?.ToArray() ?? fallback;
        return v.Length == length ? v
            : throw new LightNetException(ErrorCode.UnsupportedOperator, $"{n.OpType} node '{n.Name}': attribute '{name}' has {v.Length} values; the integer 2-D path needs {length}.");
    }

    private static void Require4D(OptimizedNode n, long[] xd, long[] yd, long[]? wd = null)
    {
        if (xd.Length != 4 || yd.Length != 4 || wd is { Length: not 4 })
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"{n.OpType} node '{n.Name}': input {Dimension.Format(xd)}, output {Dimension.Format(yd)}; the integer kernels cover 2-D windows (4-D tensors) only.");
        }
    }

    // An element-wise step whose elements the pool's threads share in ranges (ElementRanges).
    private static Step Shared(OptimizedNode n, string algorithm, long count, int threads, ElementRanges.Body body)
    {
        var ranges = new ElementRanges(count, threads, body);
        return new Step(n, algorithm, (_, pool) => ranges.Run(pool));
    }

    /// <summary>An integer step: a body bound at compile time over its pointers.</summary>
    private sealed class Step(OptimizedNode node, string algorithm, Step.Body body, long scratchBytes = 0, IDisposable? owned = null) : PlanStep(node)
    {
        public delegate void Body(byte* scratch, WorkerPool pool);

        public override long ScratchBytes => scratchBytes;

        public override string Algorithm => algorithm;

        public override void Execute(byte* scratch, WorkerPool pool) => body(scratch, pool);

        public override void Dispose() => owned?.Dispose();
    }
}
