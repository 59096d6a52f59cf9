using Google.Protobuf;
using LightNet.Onnx.Protos;

namespace LightNet.Compression;

/// <summary>Rewrites a float graph into QDQ form: quantized weights with DequantizeLinear, Q/DQ pairs on activations.</summary>
internal sealed class QdqWriter
{
    private static readonly HashSet<string> s_compute = new(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul" };

    // Ops whose output keeps the input's scale and zero point, so ONNX Runtime can run them on the integers directly.
    private static readonly HashSet<string> s_sameScale = new(StringComparer.Ordinal) { "MaxPool", "Reshape", "Flatten" };

    private readonly GraphProto _g;
    private readonly QuantizationOptions _options;
    private readonly ProtoGraph.Names _names;
    private readonly Dictionary<string, TensorProto> _init;
    private readonly Dictionary<string, (string Scale, string ZeroPoint, float ScaleValue)> _params = new(StringComparer.Ordinal);
    private readonly List<TensorProto> _newInit = [];
    private readonly Dictionary<string, string> _dequantized = new(StringComparer.Ordinal);

    public QdqWriter(GraphProto graph, QuantizationOptions options)
    {
        _g = graph;
        _options = options;
        _names = new ProtoGraph.Names(graph);
        _init = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
    }

    /// <summary>The nodes to quantize, by the include/exclude lists and the first/last-layer options.</summary>
    public static List<NodeProto> Select(GraphProto g, QuantizationOptions options)
    {
        var include = (options.IncludeOpTypes ?? QuantizationOptions.DefaultOpTypes).ToHashSet(StringComparer.Ordinal);
        var selected = g.Node.Where(n => n.Domain is "" or "ai.onnx" && include.Contains(n.OpType)
            && !options.ExcludeOpTypes.Contains(n.OpType) && !options.ExcludeNodes.Contains(n.Name)).ToList();
        List<NodeProto> compute = g.Node.Where(n => s_compute.Contains(n.OpType)).ToList();
        if (options.KeepFirstLayerFloat && compute.Count > 0) selected.Remove(compute[0]);
        if (options.KeepLastLayerFloat && compute.Count > 0) selected.Remove(compute[^1]);
        return selected;
    }

    /// <summary>The float activation tensors the selected nodes read and write (what calibration must observe).</summary>
    public static List<string> ActivationTensors(GraphProto g, IReadOnlyList<NodeProto> selected)
    {
        var init = g.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto n in selected)
        {
            foreach (string t in DataInputs(n).Concat(n.Output.Take(1)))
            {
                if (t.Length > 0 && !init.Contains(t) && seen.Add(t)) result.Add(t);
            }
        }

        return result;
    }

    private static IEnumerable<string> DataInputs(NodeProto n) => n.OpType switch
    {
        "Add" or "Concat" or "MatMul" => n.Input,
        "Gemm" or "Conv" => n.Input.Take(2),
        _ => n.Input.Take(1),
    };

    public void Write(List<NodeProto> selected, Dictionary<string, TensorRange> ranges)
    {
        var selectedSet = new HashSet<NodeProto>(selected, ReferenceEqualityComparer.Instance);
        var consumers = ProtoGraph.Consumers(_g);
        var graphOutputs = _g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

        // Conv (or Gemm) + Relu or Clip: with UINT8 activations the quantization of the activation's output already clips
        // like it when every code stays inside the activation's range (Relu: zero point 0; ReLU6's Clip(0, 6): zero point
        // 0 and a calibrated maximum of at most 6), so the activation goes and the Conv writes its output — one
        // QLinearConv in ONNX Runtime, one integer convolution with its clamp in cpu-simd, and one rounding fewer. INT8
        // symmetric ranges include negatives, so the activation stays there.
        if (_options.ActivationType == ActivationType.UInt8Asymmetric)
        {
            foreach (NodeProto relu in selected.Where(n => n.OpType is "Relu" or "Clip").ToList())
            {
                NodeProto? producer = _g.Node.FirstOrDefault(n => n.Output.Count == 1 && n.Output[0] == relu.Input[0]);
                if (producer is not null && producer.OpType is "Conv" or "Gemm" && selectedSet.Contains(producer)
                    && consumers[relu.Input[0]].Count == 1 && !graphOutputs.Contains(relu.Input[0]) && ranges.ContainsKey(relu.Output[0])
                    && (relu.OpType == "Relu" || ClipKeepsEveryCode(relu, ranges[relu.Output[0]])))
                {
                    producer.Output[0] = relu.Output[0];
                    _g.Node.Remove(relu);
                    selected.Remove(relu);
                    selectedSet.Remove(relu);
                }
            }

            consumers = ProtoGraph.Consumers(_g);
        }

        // Decide the quantized activations and their parameters; same-scale ops reuse their input's.
        var quantized = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto n in _g.Node.Where(selectedSet.Contains))
        {
            foreach (string t in DataInputs(n).Concat(n.Output.Take(1)).Where(t => t.Length > 0 && !_init.ContainsKey(t)))
            {
                if (!ranges.ContainsKey(t)) continue;
                quantized.Add(t);
                if (!_params.ContainsKey(t))
                {
                    bool sameScale = s_sameScale.Contains(n.OpType) && t == n.Output[0] && _params.ContainsKey(n.Input[0]);
                    _params[t] = sameScale ? _params[n.Input[0]] : ActivationParams(t, ranges[t]);
                }
            }
        }

        var result = new List<NodeProto>();
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);

        // Graph inputs that are quantized get their Q/DQ first.
        foreach (ValueInfoProto input in _g.Input.Where(i => quantized.Contains(i.Name)))
        {
            renamed[input.Name] = AddQdq(input.Name, input.Name, result);
        }

        foreach (NodeProto node in _g.Node.ToList())
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (renamed.TryGetValue(node.Input[i], out string? r)) node.Input[i] = r;
            }

            if (selectedSet.Contains(node) && s_compute.Contains(node.OpType))
            {
                QuantizeWeights(node, result);
            }

            result.Add(node);
            string output = node.Output.Count > 0 ? node.Output[0] : "";
            if (quantized.Contains(output))
            {
                if (graphOutputs.Contains(output))
                {
                    // Keep the graph output's name on the dequantized value.
                    string raw = _names.Fresh(output + "_float");
                    node.Output[0] = raw;
                    AddQdq(raw, output, result, dequantizedName: output);
                }
                else
                {
                    renamed[output] = AddQdq(output, output, result);
                }
            }
        }

        _g.Node.Clear();
        _g.Node.AddRange(result);
        _g.Initializer.AddRange(_newInit);
        ProtoGraph.RemoveUnusedInitializers(_g);
    }

    // The UINT8 asymmetric scale and zero point of a calibrated range (widened to hold 0).
    private static (float Scale, byte Zero) UInt8Params(TensorRange range)
    {
        float min = Math.Min(range.Min, 0), max = Math.Max(range.Max, 0);
        float scale = (max - min) / 255f;
        if (!(scale > 0) || !float.IsFinite(scale)) scale = 1f;
        return (scale, (byte)Math.Clamp(MathF.Round(-min / scale), 0, 255));
    }

    // Whether QuantizeLinear(Clip(v, lo, hi)) equals QuantizeLinear(v) for every v, with the parameters the Clip's output
    // gets: true when lo quantizes to code 0 and hi to code 255 (quantization is monotone and saturates there). Bounds
    // must be constants (opset 11+ inputs; older files were upgraded to them).
    private bool ClipKeepsEveryCode(NodeProto clip, TensorRange outputRange)
    {
        // Input i's constant scalar, the default when it is absent; null when it is not a float constant.
        float? Bound(int i, float absent) =>
            clip.Input.Count <= i || clip.Input[i].Length == 0 ? absent
            : _init.TryGetValue(clip.Input[i], out TensorProto? t) && t.DataType == ProtoGraph.Float && ProtoGraph.Floats(t) is [float v] ? v
            : null;

        if (Bound(1, float.NegativeInfinity) is not float lo || Bound(2, float.PositiveInfinity) is not float hi)
        {
            return false;
        }

        (float scale, byte zero) = UInt8Params(outputRange);
        float Code(float v) => Math.Clamp(MathF.Round(v / scale, MidpointRounding.ToEven) + zero, 0, 255);
        return Code(lo) <= 0 && Code(hi) >= 255;
    }

    private (string, string, float) ActivationParams(string tensor, TensorRange range)
    {
        float scale;
        TensorProto zp;
        string zpName = _names.Fresh(tensor + "_zero_point");
        if (_options.ActivationType == ActivationType.UInt8Asymmetric)
        {
            (scale, byte z) = UInt8Params(range);
            zp = ProtoGraph.Tensor<byte>(zpName, ProtoGraph.UInt8, [], [z]);
        }
        else
        {
            scale = Math.Max(Math.Abs(range.Min), Math.Abs(range.Max)) / 127f;
            if (!(scale > 0) || !float.IsFinite(scale)) scale = 1f;
            zp = ProtoGraph.Tensor<sbyte>(zpName, ProtoGraph.Int8, [], [0]);
        }

        string scaleName = _names.Fresh(tensor + "_scale");
        _newInit.Add(ProtoGraph.Tensor<float>(scaleName, ProtoGraph.Float, [], [scale]));
        _newInit.Add(zp);
        return (scaleName, zpName, scale);
    }

    private string AddQdq(string input, string baseName, List<NodeProto> nodes, string? dequantizedName = null)
    {
        (string scale, string zp, _) = _params[baseName];
        string q = _names.Fresh(baseName + "_QuantizeLinear");
        string dq = dequantizedName ?? _names.Fresh(baseName + "_DequantizeLinear");
        nodes.Add(ProtoGraph.Node("QuantizeLinear", _names.Fresh(baseName + "_QuantizeLinear_node"), [input, scale, zp], [q]));
        nodes.Add(ProtoGraph.Node("DequantizeLinear", _names.Fresh(baseName + "_DequantizeLinear_node"), [q, scale, zp], [dq]));
        _dequantized[dq] = baseName;
        return dq;
    }

    private void QuantizeWeights(NodeProto node, List<NodeProto> nodes)
    {
        if (node.Input.Count < 2 || !_init.TryGetValue(node.Input[1], out TensorProto? w) || w.DataType != ProtoGraph.Float)
        {
            return;
        }

        // The output-channel axis: 0 for Conv and for Gemm with transB, else the last axis of a 2-D weight.
        int axis = node.OpType == "Conv" || (node.OpType == "Gemm" && ProtoGraph.GetInt(node, "transB", 0) == 1) ? 0 : w.Dims.Count - 1;
        float[] values = ProtoGraph.Floats(w);
        int channels = _options.PerChannel && w.Dims.Count >= 2 ? (int)w.Dims[axis] : 1;
        float[] scales = WeightScales(values, w.Dims, axis, channels);
        var q = new sbyte[values.Length];
        int qmax = _options.ReduceRange ? 63 : 127;
        for (int i = 0; i < values.Length; i++)
        {
            int c = channels == 1 ? 0 : ChannelOf(i, w.Dims, axis);
            q[i] = (sbyte)Math.Clamp(MathF.Round(values[i] / scales[c]), -qmax, qmax);
        }

        string baseName = w.Name;
        string qName = _names.Fresh(baseName + "_quantized"), sName = _names.Fresh(baseName + "_scale"), zName = _names.Fresh(baseName + "_zero_point");
        long[] scaleDims = channels == 1 ? [] : [channels];
        _newInit.Add(ProtoGraph.Tensor<sbyte>(qName, ProtoGraph.Int8, w.Dims, q));
        _newInit.Add(ProtoGraph.Tensor<float>(sName, ProtoGraph.Float, scaleDims, scales));
        _newInit.Add(ProtoGraph.Tensor<sbyte>(zName, ProtoGraph.Int8, scaleDims, new sbyte[channels]));
        string dq = _names.Fresh(baseName + "_DequantizeLinear");
        AttributeProto[] attrs = channels == 1 ? [] : [ProtoGraph.IntAttribute("axis", axis)];
        nodes.Add(ProtoGraph.Node("DequantizeLinear", _names.Fresh(baseName + "_DequantizeLinear_node"), [qName, sName, zName], [dq], attrs));
        node.Input[1] = dq;

        // Bias as INT32 at scale input_scale × weight_scale, the form QLinearConv and QGemm take.
        if (node.OpType is "Conv" or "Gemm" && node.Input.Count > 2 && _init.TryGetValue(node.Input[2], out TensorProto? b)
            && b.DataType == ProtoGraph.Float && _params.TryGetValue(InputName(node.Input[0]), out var inParams)
            && (channels == 1 || b.Dims.Count == 1 && b.Dims[0] == channels) && (node.OpType == "Conv" || axis == 0 || channels == 1))
        {
            float[] bias = ProtoGraph.Floats(b);
            var bScale = new float[channels];
            for (int c = 0; c < channels; c++) bScale[c] = inParams.ScaleValue * scales[c];
            var bq = new int[bias.Length];
            for (int i = 0; i < bias.Length; i++)
            {
                double v = Math.Round(bias[i] / (double)bScale[channels == 1 ? 0 : i]);
                bq[i] = (int)Math.Clamp(v, int.MinValue + 1, int.MaxValue);
            }

            string bqName = _names.Fresh(b.Name + "_quantized"), bsName = _names.Fresh(b.Name + "_scale"), bzName = _names.Fresh(b.Name + "_zero_point");
            _newInit.Add(ProtoGraph.Tensor<int>(bqName, ProtoGraph.Int32, b.Dims, bq));
            _newInit.Add(ProtoGraph.Tensor<float>(bsName, ProtoGraph.Float, scaleDims, bScale));
            _newInit.Add(ProtoGraph.Tensor<int>(bzName, ProtoGraph.Int32, scaleDims, new int[channels]));
            string bdq = _names.Fresh(b.Name + "_DequantizeLinear");
            nodes.Add(ProtoGraph.Node("DequantizeLinear", _names.Fresh(b.Name + "_DequantizeLinear_node"), [bqName, bsName, bzName], [bdq],
                channels == 1 ? [] : [ProtoGraph.IntAttribute("axis", 0)]));
            node.Input[2] = bdq;
        }
    }

    // The activation a node input reads, through the DequantizeLinear that now feeds it.
    private string InputName(string input) => _dequantized.GetValueOrDefault(input, input);

    private float[] WeightScales(float[] values, IReadOnlyList<long> dims, int axis, int channels)
    {
        var absMax = new float[channels];
        for (int i = 0; i < values.Length; i++)
        {
            int c = channels == 1 ? 0 : ChannelOf(i, dims, axis);
            absMax[c] = Math.Max(absMax[c], Math.Abs(values[i]));
        }

        int qmax = _options.ReduceRange ? 63 : 127;
        return absMax.Select(m => m > 0 && float.IsFinite(m) ? m / qmax : 1f).ToArray();
    }

    private static int ChannelOf(int index, IReadOnlyList<long> dims, int axis)
    {
        long inner = 1;
        for (int d = axis + 1; d < dims.Count; d++) inner *= dims[d];
        return (int)(index / inner % dims[axis]);
    }
}
