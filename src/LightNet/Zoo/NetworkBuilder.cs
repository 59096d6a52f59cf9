using LightNet.Analysis;
using LightNet.Onnx;

namespace LightNet.Zoo;

/// <summary>The activation a <see cref="NetworkBuilder.ConvBnAct"/> block ends with.</summary>
internal enum Activation
{
    None,
    Relu,
    Relu6,
    HardSwish,
}

/// <summary>
/// Layer-level helpers for the zoo's architecture builders: each call adds the ONNX nodes PyTorch's exporter
/// would emit for the torchvision layer (BatchNormalization as its own node, ReLU6 as Clip), with seeded
/// synthetic weights, and tracks every value's shape as it goes.
/// </summary>
internal sealed class NetworkBuilder
{
    private readonly ModelBuilder _builder;
    private readonly Dictionary<string, InferredValue> _values = new(StringComparer.Ordinal);
    private readonly ZooOptions _options;
    private readonly ZooEntry _entry;
    private readonly Stack<string> _scopes = new();
    private int _counter;

    public NetworkBuilder(ZooEntry entry, ZooOptions options)
    {
        _entry = entry;
        _options = options;
        _builder = new ModelBuilder(entry.Name, options.Opset);
        Resolution = options.Resolution ?? entry.DefaultResolution;
    }

    public int Resolution { get; }

    public int Classes => _options.Classes;

    public double Width => _options.WidthMultiplier ?? 1.0;

    /// <summary>The image input, [batch, 3, resolution, resolution].</summary>
    public string Input()
    {
        string name = _builder.AddInput("input", TensorElementType.Float, _options.BatchSize, 3, Resolution, Resolution);
        _values[name] = new InferredValue(TensorElementType.Float, [_options.BatchSize, 3, Resolution, Resolution]);
        return name;
    }

    public long[] Shape(string value) => _values[value].Dims;

    public long Channels(string value) => _values[value].Dims[1];

    /// <summary>Names the nodes and weights added inside it with a torchvision-like prefix ("layer1.0.conv1").</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new PopScope(_scopes);
    }

    public string Conv(string x, long outChannels, long kernel, long stride = 1, long padding = 0, long groups = 1,
        bool bias = false, long dilation = 1) =>
        Conv(x, outChannels, (kernel, kernel), (stride, stride), (padding, padding), groups, bias, dilation);

    public string Conv(string x, long outChannels, (long H, long W) kernel, (long H, long W) stride, (long H, long W) padding,
        long groups = 1, bool bias = false, long dilation = 1)
    {
        long inChannels = Channels(x);
        string name = NextName("Conv");
        long fanIn = inChannels / groups * kernel.H * kernel.W;
        long[] wDims = [outChannels, inChannels / groups, kernel.H, kernel.W];
        // He-normal (Kaiming) initialisation: std = sqrt(2 / fan_in).
        string w = Weight(name + ".weight", wDims, r => r.Normal(Shapes.ElementCount(wDims), Math.Sqrt(2.0 / fanIn)));
        var inputs = new List<string> { x, w };
        if (bias)
        {
            inputs.Add(Weight(name + ".bias", [outChannels], r => new float[outChannels]));
        }

        var attributes = new List<NodeAttribute>
        {
            NodeAttribute.Ints("dilations", dilation, dilation),
            NodeAttribute.Int("group", groups),
            NodeAttribute.Ints("kernel_shape", kernel.H, kernel.W),
            NodeAttribute.Ints("pads", padding.H, padding.W, padding.H, padding.W),
            NodeAttribute.Ints("strides", stride.H, stride.W),
        };
        return Node("Conv", name, inputs, attributes.ToArray());
    }

    public string BatchNorm(string x, float epsilon = 1e-5f)
    {
        long c = Channels(x);
        string name = NextName("BatchNormalization");
        bool noise = _options.BatchNormNoise;
        string scale = Weight(name + ".weight", [c], r => noise ? r.Normal(c, 0.05, 1.0) : Filled(c, 1f));
        string bias = Weight(name + ".bias", [c], r => noise ? r.Normal(c, 0.05) : new float[c]);
        string mean = Weight(name + ".running_mean", [c], r => noise ? r.Normal(c, 0.05) : new float[c]);
        string variance = Weight(name + ".running_var", [c], r => noise ? r.Uniform(c, 0.8, 1.2) : Filled(c, 1f));
        return Node("BatchNormalization", name, [x, scale, bias, mean, variance], NodeAttribute.Float("epsilon", epsilon));
    }

    public string Relu(string x) => Node("Relu", NextName("Relu"), [x]);

    public string Sigmoid(string x) => Node("Sigmoid", NextName("Sigmoid"), [x]);

    /// <summary>ReLU6 as PyTorch exports it: Clip with min 0 and max 6 as inputs.</summary>
    public string Relu6(string x)
    {
        string name = NextName("Clip");
        string min = SharedConstant("clip_min_0", TensorData.FromFloats("clip_min_0", [], [0f]));
        string max = SharedConstant("clip_max_6", TensorData.FromFloats("clip_max_6", [], [6f]));
        return Node("Clip", name, [x, min, max]);
    }

    /// <summary>HardSwish; below opset 14 (where the op does not exist) as x · HardSigmoid(x), as PyTorch exports it.</summary>
    public string HardSwish(string x) => _options.Opset >= 14
        ? Node("HardSwish", NextName("HardSwish"), [x])
        : Mul(x, HardSigmoid(x));

    /// <summary>torchvision's Hardsigmoid, relu6(x + 3) / 6, is ONNX HardSigmoid with alpha 1/6, beta 0.5.</summary>
    public string HardSigmoid(string x) =>
        Node("HardSigmoid", NextName("HardSigmoid"), [x], NodeAttribute.Float("alpha", 1f / 6f), NodeAttribute.Float("beta", 0.5f));

    public string Activate(string x, Activation activation) => activation switch
    {
        Activation.Relu => Relu(x),
        Activation.Relu6 => Relu6(x),
        Activation.HardSwish => HardSwish(x),
        _ => x,
    };

    /// <summary>Conv (no bias) → BatchNormalization → activation: torchvision's Conv2dNormActivation.</summary>
    public string ConvBnAct(string x, long outChannels, long kernel, long stride = 1, long? padding = null, long groups = 1,
        Activation activation = Activation.Relu, float epsilon = 1e-5f) =>
        Activate(BatchNorm(Conv(x, outChannels, kernel, stride, padding ?? (kernel - 1) / 2, groups), epsilon), activation);

    public string MaxPool(string x, long kernel, long stride, long padding = 0, bool ceilMode = false) =>
        Node("MaxPool", NextName("MaxPool"), [x],
            NodeAttribute.Int("ceil_mode", ceilMode ? 1 : 0),
            NodeAttribute.Ints("kernel_shape", kernel, kernel),
            NodeAttribute.Ints("pads", padding, padding, padding, padding),
            NodeAttribute.Ints("strides", stride, stride));

    public string AveragePool(string x, long kernel, long stride, long padding = 0, bool ceilMode = false, bool countIncludePad = false) =>
        Node("AveragePool", NextName("AveragePool"), [x],
            NodeAttribute.Int("ceil_mode", ceilMode ? 1 : 0),
            NodeAttribute.Int("count_include_pad", countIncludePad ? 1 : 0),
            NodeAttribute.Ints("kernel_shape", kernel, kernel),
            NodeAttribute.Ints("pads", padding, padding, padding, padding),
            NodeAttribute.Ints("strides", stride, stride));

    public string GlobalAveragePool(string x) => Node("GlobalAveragePool", NextName("GlobalAveragePool"), [x]);

    /// <summary>
    /// torchvision's AdaptiveAvgPool2d to (size, size), in the forms ONNX can express: nothing when the map
    /// already has that size, GlobalAveragePool for 1, AveragePool when the size divides the map, and
    /// nearest-neighbour replication when the map is smaller and divides the size (PyTorch's bins then hold
    /// exactly one source pixel each).
    /// </summary>
    public string AdaptiveAveragePool(string x, long size)
    {
        long h = Shape(x)[2], w = Shape(x)[3];
        if (h == size && w == size)
        {
            return x;
        }

        if (size == 1)
        {
            return GlobalAveragePool(x);
        }

        if (h % size == 0 && w % size == 0 && h == w)
        {
            return AveragePool(x, h / size, h / size);
        }

        if (h == w && size % h == 0)
        {
            string scales = Weight(NextName("Resize") + ".scales", [4], _ => [1f, 1f, size / (float)h, size / (float)w]);
            return Node("Resize", NextName("Resize"), [x, "", scales],
                NodeAttribute.String("mode", "nearest"),
                NodeAttribute.String("coordinate_transformation_mode", "asymmetric"),
                NodeAttribute.String("nearest_mode", "floor"));
        }

        throw new LightNetException(ErrorCode.InvalidArgument,
            $"Zoo model '{_entry.Name}' at resolution {Resolution}: the {h}x{w} feature map cannot be pooled to {size}x{size} " +
            $"by an ONNX pooling op; choose a resolution whose final map divides or is divided by {size} (for example 224).");
    }

    public string Flatten(string x) => Node("Flatten", NextName("Flatten"), [x], NodeAttribute.Int("axis", 1));

    /// <summary>torchvision's nn.Linear as Gemm with transB=1 (weights N(0, 0.01), bias zero).</summary>
    public string Linear(string x, long outFeatures, bool bias = true)
    {
        long inFeatures = Shape(x)[1];
        string name = NextName("Gemm");
        long count = outFeatures * inFeatures;
        string w = Weight(name + ".weight", [outFeatures, inFeatures], r => r.Normal(count, 0.01));
        var inputs = new List<string> { x, w };
        if (bias)
        {
            inputs.Add(Weight(name + ".bias", [outFeatures], _ => new float[outFeatures]));
        }

        return Node("Gemm", name, inputs, NodeAttribute.Float("alpha", 1f), NodeAttribute.Float("beta", 1f), NodeAttribute.Int("transB", 1));
    }

    public string Add(string a, string b) => Node("Add", NextName("Add"), [a, b]);

    public string Mul(string a, string b) => Node("Mul", NextName("Mul"), [a, b]);

    public string Concat(params string[] inputs) => Node("Concat", NextName("Concat"), inputs, NodeAttribute.Int("axis", 1));

    /// <summary>Splits along the channel axis into the given sizes.</summary>
    public string[] Split(string x, params long[] sizes)
    {
        string name = NextName("Split");
        string split = Weight(name + ".split", [sizes.Length], _ => null, sizes);
        string[] outputs = sizes.Select((_, i) => $"{name}_output_{i}").ToArray();
        return Nodes("Split", name, [x, split], outputs, NodeAttribute.Int("axis", 1));
    }

    /// <summary>ShuffleNet's channel shuffle: Reshape to [N, g, C/g, H, W], Transpose(0, 2, 1, 3, 4), Reshape back.</summary>
    public string ChannelShuffle(string x, long groups)
    {
        long[] s = Shape(x);
        string name = NextName("Reshape");
        string shape5 = Weight(name + ".shape", [5], _ => null, [s[0], groups, s[1] / groups, s[2], s[3]]);
        string r1 = Node("Reshape", name, [x, shape5]);
        string t = Node("Transpose", NextName("Transpose"), [r1], NodeAttribute.Ints("perm", 0, 2, 1, 3, 4));
        string name2 = NextName("Reshape");
        string shape4 = Weight(name2 + ".shape", [4], _ => null, [s[0], s[1], s[2], s[3]]);
        return Node("Reshape", name2, [t, shape4]);
    }

    /// <summary>Adds any node with one output; its output value is named after the node.</summary>
    public string Node(string opType, string name, IReadOnlyList<string> inputs, params NodeAttribute[] attributes) =>
        Nodes(opType, name, inputs, [name + "_output_0"], attributes)[0];

    private string[] Nodes(string opType, string name, IReadOnlyList<string> inputs, string[] outputs, params NodeAttribute[] attributes)
    {
        _builder.AddNode(opType, inputs, outputs, name, attributes);
        // Infer the new values now, so that the architecture code can read shapes and errors point at the layer.
        var node = new Node(_builder.NodeCount - 1, name, opType, "", inputs.ToArray(), outputs, attributes);
        InferredValue[] inferred = ShapeInference.InferNode(node, _options.Opset, v => _values.GetValueOrDefault(v));
        for (int i = 0; i < outputs.Length; i++)
        {
            _values[outputs[i]] = inferred[i];
        }

        return outputs;
    }

    /// <summary>Declares the logits output, labels the weights as synthetic and checks the model.</summary>
    public Model Finish(string logits)
    {
        // A named graph output, as exporters name it; ONNX Runtime removes the Identity when it optimises.
        string output = Nodes("Identity", "output_identity", [logits], ["output"])[0];
        _builder.AddOutput(output, TensorElementType.Float, Shape(output));
        _builder.WithDescription(
            $"{_entry.Name} ({_entry.Family}; {_entry.Paper}). Architecture layer for layer as torchvision builds it; " +
            $"SYNTHETIC weights (seeded He-normal, seed {_options.Seed}), not trained: use it for speed and size, not for predictions.");
        _builder.AddMetadata("lightnet.zoo.name", _entry.Name);
        _builder.AddMetadata("lightnet.zoo.family", _entry.Family);
        _builder.AddMetadata("lightnet.weights", "synthetic");
        _builder.AddMetadata("lightnet.seed", _options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _builder.AddMetadata("lightnet.preprocessing", _entry.PreprocessingPreset);
        _builder.AddMetadata("lightnet.resolution", Resolution.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_options.WidthMultiplier is double width)
        {
            _builder.AddMetadata("lightnet.width_multiplier", width.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return _builder.Build();
    }

    private string Weight(string name, long[] dims, Func<SeededRandom, float[]?> floats, long[]? ints = null)
    {
        TensorData tensor = ints is not null
            ? TensorData.FromInt64s(name, dims, ints)
            : TensorData.FromFloats(name, dims, floats(new SeededRandom(_options.Seed, name)));
        _builder.AddInitializer(tensor);
        _values[name] = InferredValue.FromTensor(tensor);
        return name;
    }

    private string SharedConstant(string name, TensorData tensor)
    {
        if (!_builder.Contains(name))
        {
            _builder.AddInitializer(tensor);
            _values[name] = InferredValue.FromTensor(tensor);
        }

        return name;
    }

    private string NextName(string opType)
    {
        string prefix = _scopes.Count > 0 ? string.Join(".", _scopes.Reverse()) + "/" : "";
        return $"{prefix}{opType}_{_counter++}";
    }

    private static float[] Filled(long count, float value)
    {
        var a = new float[count];
        Array.Fill(a, value);
        return a;
    }

    private sealed class PopScope(Stack<string> scopes) : IDisposable
    {
        public void Dispose() => scopes.Pop();
    }
}
