
namespace LightNet.Zoo;

/// <summary>
/// The networks of the lightweight-network study, built in code as ONNX graphs layer for layer like
/// torchvision, with seeded synthetic weights; and their pretrained versions, downloaded and verified.
/// </summary>
/// <example>
/// <code>
/// Model model = ModelZoo.Create("mobilenet_v2");
/// Console.WriteLine(model.Info.ToSummary());
/// </code>
/// </example>
public static class ModelZoo
{
    private const string OnnxModels = "https://github.com/onnx/models/raw/main/validated/vision/classification/";

    // Published top-1 accuracies: torchvision's model documentation (the "Acc@1" of each weights enum, ImageNet-1k
    // validation, resize 256 / crop 224, or 342 / 299 for Inception v3), and the MobileNets paper for v1, which
    // torchvision does not ship.
    private const string TorchVision = "torchvision model docs (https://pytorch.org/vision/stable/models.html), ";
    private const string V1Paper = "Howard et al. 2017, MobileNets (arXiv:1704.04861), Table 6 (width multiplier at 224)";

    private static readonly ZooEntry[] s_entries =
    [
        new()
        {
            Name = "mobilenet_v1", Family = "MobileNet", Paper = "Howard et al. 2017, MobileNets (arXiv:1704.04861)",
            PreprocessingPreset = "tensorflow", DefaultResolution = 224, MinResolution = 32, WidthMultipliers = [0.25, 0.5, 0.75, 1.0],
            ReferenceParameters = 4_231_976, ReferenceMacs = 569_000_000,
            Accuracy = [new(70.6, 1.0, 224, V1Paper), new(68.4, 0.75, 224, V1Paper), new(63.7, 0.5, 224, V1Paper), new(50.6, 0.25, 224, V1Paper)],
            Architecture = Architectures.MobileNetV1.Build,
        },
        new()
        {
            Name = "mobilenet_v2", Family = "MobileNet", Paper = "Sandler et al. 2018, MobileNetV2 (arXiv:1801.04381)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32, WidthMultipliers = [0.5, 0.75, 1.0, 1.4],
            ReferenceParameters = 3_504_872, ReferenceMacs = 300_000_000,
            Accuracy = [new(71.878, 1.0, 224, TorchVision + "MobileNet_V2_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.MobileNetV2.Build,
            Pretrained = new PretrainedFile("mobilenetv2-7.onnx", new Uri(OnnxModels + "mobilenet/model/mobilenetv2-7.onnx"),
                "c1c513582d56afceff8516c73804e484c81c6a830712ab6d682253f4a3cd042f", 14_246_826),
        },
        new()
        {
            Name = "mobilenet_v3_small", Family = "MobileNet", Paper = "Howard et al. 2019, Searching for MobileNetV3 (arXiv:1905.02244)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 2_542_856, ReferenceMacs = 56_000_000,
            Accuracy = [new(67.668, 1.0, 224, TorchVision + "MobileNet_V3_Small_Weights.IMAGENET1K_V1")],
            Architecture = nb => Architectures.MobileNetV3.Build(nb, large: false),
        },
        new()
        {
            Name = "mobilenet_v3_large", Family = "MobileNet", Paper = "Howard et al. 2019, Searching for MobileNetV3 (arXiv:1905.02244)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 5_483_032, ReferenceMacs = 217_000_000,
            Accuracy = [new(74.042, 1.0, 224, TorchVision + "MobileNet_V3_Large_Weights.IMAGENET1K_V1")],
            Architecture = nb => Architectures.MobileNetV3.Build(nb, large: true),
        },
        new()
        {
            Name = "squeezenet1_0", Family = "SqueezeNet", Paper = "Iandola et al. 2016, SqueezeNet (arXiv:1602.07360)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 64,
            ReferenceParameters = 1_248_424, ReferenceMacs = 819_000_000,
            Accuracy = [new(58.092, 1.0, 224, TorchVision + "SqueezeNet1_0_Weights.IMAGENET1K_V1")],
            Architecture = nb => Architectures.SqueezeNet.Build(nb, version: "1_0"),
            Pretrained = new PretrainedFile("squeezenet1.0-7.onnx", new Uri(OnnxModels + "squeezenet/model/squeezenet1.0-7.onnx"),
                "d95e2191e056f1912a9b8f6000da3b9c7818441b9eb48137033c2adbf6398bc8", 4_952_222),
        },
        new()
        {
            Name = "squeezenet1_1", Family = "SqueezeNet", Paper = "Iandola et al. 2016, SqueezeNet (arXiv:1602.07360)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 64,
            ReferenceParameters = 1_235_496, ReferenceMacs = 349_000_000,
            Accuracy = [new(58.178, 1.0, 224, TorchVision + "SqueezeNet1_1_Weights.IMAGENET1K_V1")],
            Architecture = nb => Architectures.SqueezeNet.Build(nb, version: "1_1"),
            Pretrained = new PretrainedFile("squeezenet1.1-7.onnx", new Uri(OnnxModels + "squeezenet/model/squeezenet1.1-7.onnx"),
                "9456373b67f04e4a9cb0bb9be984f0db2d0ad141582d84d4b4ad9e84f7ec7785", 9_165_684),
        },
        new()
        {
            Name = "shufflenet_v2_x1_0", Family = "ShuffleNet", Paper = "Ma et al. 2018, ShuffleNet V2 (arXiv:1807.11164)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32, WidthMultipliers = [0.5, 1.0, 1.5, 2.0],
            ReferenceParameters = 2_278_604, ReferenceMacs = 146_000_000,
            Accuracy = [new(69.362, 1.0, 224, TorchVision + "ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1"), new(60.552, 0.5, 224, TorchVision + "ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1"), new(72.996, 1.5, 224, TorchVision + "ShuffleNet_V2_X1_5_Weights.IMAGENET1K_V1"), new(76.230, 2.0, 224, TorchVision + "ShuffleNet_V2_X2_0_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.ShuffleNetV2.Build,
            Pretrained = new PretrainedFile("shufflenet-v2-12.onnx", new Uri(OnnxModels + "shufflenet/model/shufflenet-v2-12.onnx"),
                "ea69821b4dd374ae2f33f9710dd1229ac263d0ee5b5a46ca3521f6483e1ba035", 9_218_556),
        },
        new()
        {
            Name = "densenet121", Family = "DenseNet", Paper = "Huang et al. 2017, Densely Connected Convolutional Networks (arXiv:1608.06993)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 7_978_856, ReferenceMacs = 2_830_000_000,
            Accuracy = [new(74.434, 1.0, 224, TorchVision + "DenseNet121_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.DenseNet.Build,
            Pretrained = new PretrainedFile("densenet-12.onnx", new Uri(OnnxModels + "densenet-121/model/densenet-12.onnx"),
                "0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5", 32_726_877),
        },
        new()
        {
            Name = "resnet18", Family = "ResNet", Paper = "He et al. 2016, Deep Residual Learning (arXiv:1512.03385)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 11_689_512, ReferenceMacs = 1_810_000_000,
            Accuracy = [new(69.758, 1.0, 224, TorchVision + "ResNet18_Weights.IMAGENET1K_V1")],
            Architecture = nb => Architectures.ResNet.Build(nb, depth: 18),
            Pretrained = new PretrainedFile("resnet18-v1-7.onnx", new Uri(OnnxModels + "resnet/model/resnet18-v1-7.onnx"),
                "4e8f8653e7a2222b3904cc3fe8e304cd8b339ce1d05fd24688162f86fb6df52c", 46_820_737),
        },
        new()
        {
            Name = "resnet50", Family = "ResNet", Paper = "He et al. 2016, Deep Residual Learning (arXiv:1512.03385)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 25_557_032, ReferenceMacs = 4_090_000_000,
            Accuracy = [new(76.130, 1.0, 224, TorchVision + "ResNet50_Weights.IMAGENET1K_V1")],
            Architecture = nb => Architectures.ResNet.Build(nb, depth: 50),
            Pretrained = new PretrainedFile("resnet50-v1-12.onnx", new Uri(OnnxModels + "resnet/model/resnet50-v1-12.onnx"),
                "ab65bdc02c5b3123eb3cdf6dac01742438517d8635d4f233913b2be1c70db3b6", 102_576_419),
        },
        new()
        {
            Name = "vgg16", Family = "VGG", Paper = "Simonyan and Zisserman 2015, Very Deep Convolutional Networks (arXiv:1409.1556)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 138_357_544, ReferenceMacs = 15_470_000_000,
            Accuracy = [new(71.592, 1.0, 224, TorchVision + "VGG16_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.Vgg.Build16,
            Pretrained = new PretrainedFile("vgg16-7.onnx", new Uri(OnnxModels + "vgg/model/vgg16-7.onnx"),
                "f20805a3ecccaa88647bbab4ad011ff2412a9838485ea844de0fcbce349820b9", 553_437_328),
        },
        new()
        {
            Name = "alexnet", Family = "AlexNet", Paper = "Krizhevsky 2014, One weird trick for parallelizing CNNs (arXiv:1404.5997)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 63,
            ReferenceParameters = 61_100_840, ReferenceMacs = 710_000_000,
            Accuracy = [new(56.522, 1.0, 224, TorchVision + "AlexNet_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.AlexNet.Build,
            Pretrained = new PretrainedFile("bvlcalexnet-12.onnx", new Uri(OnnxModels + "alexnet/model/bvlcalexnet-12.onnx"),
                "6b0da9510f27f234ee96a85dc3809dd210150fdefad87f6850f9788513216945", 243_863_787),
        },
        new()
        {
            Name = "googlenet", Family = "Inception", Paper = "Szegedy et al. 2015, Going Deeper with Convolutions (arXiv:1409.4842)",
            PreprocessingPreset = "torchvision", DefaultResolution = 224, MinResolution = 32,
            ReferenceParameters = 6_624_904, ReferenceMacs = 1_500_000_000,
            Accuracy = [new(69.778, 1.0, 224, TorchVision + "GoogLeNet_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.GoogLeNet.Build,
            Pretrained = new PretrainedFile("googlenet-7.onnx", new Uri(OnnxModels + "inception_and_googlenet/googlenet/model/googlenet-7.onnx"),
                "5725ccfd90845735ce5897faf7843c3f9b13acda3c4f3bff82cb21c9337c9de8", 28_020_232),
        },
        new()
        {
            Name = "inception_v3", Family = "Inception", Paper = "Szegedy et al. 2016, Rethinking the Inception Architecture (arXiv:1512.00567)",
            PreprocessingPreset = "inception", DefaultResolution = 299, MinResolution = 75,
            ReferenceParameters = 23_834_568, ReferenceMacs = 5_710_000_000,
            Accuracy = [new(77.294, 1.0, 299, TorchVision + "Inception_V3_Weights.IMAGENET1K_V1")],
            Architecture = Architectures.InceptionV3.Build,
        },
    ];

    /// <summary>Every network of the zoo.</summary>
    public static IReadOnlyList<ZooEntry> Entries => s_entries;

    /// <summary>The names of the networks, as <see cref="Create(string, ZooOptions?)"/> takes them.</summary>
    public static IReadOnlyList<string> Names => s_entries.Select(e => e.Name).ToArray();

    /// <summary>The entry named <paramref name="name"/> (case-insensitive).</summary>
    /// <param name="name">A zoo name such as "mobilenet_v2".</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnknownModel"/> suggesting the closest name and listing the known ones.</exception>
    public static ZooEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ZooEntry? entry = s_entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
        if (entry is not null)
        {
            return entry;
        }

        string? closest = NameSuggestions.Closest(name ?? "", s_entries.Select(e => e.Name));
        throw new LightNetException(ErrorCode.UnknownModel,
            $"The zoo has no model named '{name}'.{(closest is null ? "" : $" Did you mean '{closest}'?")} Known: {string.Join(", ", s_entries.Select(e => e.Name))}.");
    }

    /// <summary>Builds a zoo network with seeded synthetic weights.</summary>
    /// <param name="name">A zoo name such as "mobilenet_v2".</param>
    /// <param name="options">Classes, resolution, batch, width, seed; null for <see cref="ZooOptions.Default"/>.</param>
    /// <returns>A valid ONNX model whose output "output" is [batch, classes] logits.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnknownModel"/> or <see cref="ErrorCode.InvalidArgument"/>.</exception>
    public static Model Create(string name, ZooOptions? options = null)
    {
        ZooEntry entry = Get(name);
        options ??= ZooOptions.Default;
        options.Validate(entry);
        var nb = new NetworkBuilder(entry, options);
        return nb.Finish(entry.Architecture(nb));
    }

    /// <summary>
    /// Downloads (or takes from the cache) the pretrained ONNX version of a zoo network, verifies its SHA-256
    /// and loads it. See <see cref="ModelDownloader"/> for resume, cache and verification rules.
    /// </summary>
    /// <param name="name">A zoo name whose entry has <see cref="ZooEntry.Pretrained"/>.</param>
    /// <param name="cacheDirectory">Folder of the download cache (created when missing).</param>
    /// <param name="progress">Receives download progress; may be null.</param>
    /// <param name="downloader">The downloader to use (for a custom HttpClient or logger factory); null for a default one.</param>
    /// <param name="cancellationToken">Cancels the download (a partial file is kept for resuming).</param>
    /// <returns>The loaded pretrained model.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.UnknownModel"/>, <see cref="ErrorCode.InvalidArgument"/> when the
    /// network has no pretrained file, or the download and load errors.</exception>
    public static Task<Model> LoadPretrainedAsync(string name, string cacheDirectory, IProgress<DownloadProgress>? progress = null,
        ModelDownloader? downloader = null, CancellationToken cancellationToken = default)
    {
        ZooEntry entry = Get(name);
        PretrainedFile file = entry.Pretrained ?? throw new LightNetException(ErrorCode.InvalidArgument,
            $"Zoo model '{entry.Name}' has no published pretrained ONNX file; build it with ModelZoo.Create (synthetic weights) " +
            $"or load your own file with Model.Load. Networks with one: {string.Join(", ", s_entries.Where(e => e.Pretrained is not null).Select(e => e.Name))}.");
        return LoadPretrainedAsync(file, cacheDirectory, progress, downloader, cancellationToken);
    }

    /// <summary>Downloads (or takes from the cache) any pretrained ONNX file, verifies it and loads it.</summary>
    /// <param name="file">What to fetch and the SHA-256 to expect.</param>
    /// <param name="cacheDirectory">Folder of the download cache (created when missing).</param>
    /// <param name="progress">Receives download progress; may be null.</param>
    /// <param name="downloader">The downloader to use; null for a default one.</param>
    /// <param name="cancellationToken">Cancels the download (a partial file is kept for resuming).</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="LightNetException">Download (<see cref="ErrorCode.DownloadFailed"/>, <see cref="ErrorCode.ChecksumMismatch"/>)
    /// and load errors.</exception>
    public static async Task<Model> LoadPretrainedAsync(PretrainedFile file, string cacheDirectory, IProgress<DownloadProgress>? progress = null,
        ModelDownloader? downloader = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        string path = await (downloader ?? new ModelDownloader()).DownloadAsync(file, cacheDirectory, progress, cancellationToken).ConfigureAwait(false);
        return Model.Load(path);
    }

    /// <summary>Synchronous form of <see cref="LoadPretrainedAsync(string, string, IProgress{DownloadProgress}?, ModelDownloader?, CancellationToken)"/>.</summary>
    /// <param name="name">A zoo name whose entry has <see cref="ZooEntry.Pretrained"/>.</param>
    /// <param name="cacheDirectory">Folder of the download cache.</param>
    /// <param name="progress">Receives download progress; may be null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The loaded pretrained model.</returns>
    /// <exception cref="LightNetException">As for the asynchronous form.</exception>
    public static Model LoadPretrained(string name, string cacheDirectory, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        // The library never captures a synchronization context (ConfigureAwait(false) throughout), so blocking is safe.
        LoadPretrainedAsync(name, cacheDirectory, progress, cancellationToken: cancellationToken).GetAwaiter().GetResult();

    /// <summary>MobileNet v1 (width multiplier α = <see cref="ZooOptions.WidthMultiplier"/>).</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model MobileNetV1(ZooOptions? options = null) => Create("mobilenet_v1", options);

    /// <summary>MobileNet v2.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model MobileNetV2(ZooOptions? options = null) => Create("mobilenet_v2", options);

    /// <summary>MobileNet v3 small.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model MobileNetV3Small(ZooOptions? options = null) => Create("mobilenet_v3_small", options);

    /// <summary>MobileNet v3 large.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model MobileNetV3Large(ZooOptions? options = null) => Create("mobilenet_v3_large", options);

    /// <summary>SqueezeNet 1.0.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model SqueezeNet10(ZooOptions? options = null) => Create("squeezenet1_0", options);

    /// <summary>SqueezeNet 1.1.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model SqueezeNet11(ZooOptions? options = null) => Create("squeezenet1_1", options);

    /// <summary>ShuffleNet v2 (size = <see cref="ZooOptions.WidthMultiplier"/>: 0.5, 1.0, 1.5 or 2.0).</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model ShuffleNetV2(ZooOptions? options = null) => Create("shufflenet_v2_x1_0", options);

    /// <summary>DenseNet-121.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model DenseNet121(ZooOptions? options = null) => Create("densenet121", options);

    /// <summary>ResNet-18.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model ResNet18(ZooOptions? options = null) => Create("resnet18", options);

    /// <summary>ResNet-50.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model ResNet50(ZooOptions? options = null) => Create("resnet50", options);

    /// <summary>VGG-16.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model Vgg16(ZooOptions? options = null) => Create("vgg16", options);

    /// <summary>AlexNet (torchvision's single-tower variant).</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model AlexNet(ZooOptions? options = null) => Create("alexnet", options);

    /// <summary>GoogLeNet (Inception v1) without auxiliary heads.</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model GoogLeNet(ZooOptions? options = null) => Create("googlenet", options);

    /// <summary>Inception v3 without the auxiliary head (299×299 by default).</summary>
    /// <param name="options">Build options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid <paramref name="options"/>.</exception>
    public static Model InceptionV3(ZooOptions? options = null) => Create("inception_v3", options);
}
