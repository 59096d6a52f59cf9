using System.Reflection;
using LightNet.Backends;
using LightNet.Compression;
using LightNet.Conformance;
using LightNet.Onnx;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Study;
using LightNet.Zoo;
using LightNet.Tests.Reports;
using LightNet.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LightNet.Tests;

/// <summary>
/// Issue 17, item 6: the conventions of the public API, each checked over every public member (reflection) or on every
/// backend that runs here — one verb set for exporters, CancellationToken last, loggers through options,
/// ObjectDisposedException after Dispose, ArgumentNullException for null arguments, unknown dimension names refused.
/// </summary>
public class ApiConventionsTests
{
    private static readonly Assembly[] Libraries =
    [
        typeof(Model).Assembly,
        typeof(LightNet.Extensions.Hosting.LightNetOptions).Assembly,
        typeof(LightNet.BenchmarkDotNet.ModelBenchmarkBase).Assembly,
    ];

    private static IEnumerable<MethodBase> PublicMembers(Assembly assembly) =>
        assembly.GetExportedTypes().SelectMany(t =>
            t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly).Cast<MethodBase>()
                .Concat(t.GetConstructors()))
            .Where(m => !m.IsDefined(typeof(ObsoleteAttribute)) && !m.DeclaringType!.IsDefined(typeof(ObsoleteAttribute)));

    private static string Describe(MethodBase m) =>
        $"{m.DeclaringType!.FullName}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})";

    /// <summary>The classes that export a report in one format: "&lt;Subject&gt;Json", "...Csv", "...Markdown", "...Html".</summary>
    private static IEnumerable<Type> Exporters() =>
        typeof(Model).Assembly.GetExportedTypes().Where(t => t.IsAbstract && t.IsSealed && !t.IsDefined(typeof(ObsoleteAttribute))
            && t.Namespace is "LightNet.Reports" or "LightNet.Study" or "LightNet.Compression" or "LightNet.Conformance"
            && (t.Name.EndsWith("Json", StringComparison.Ordinal) || t.Name.EndsWith("Csv", StringComparison.Ordinal)
                || t.Name.EndsWith("Markdown", StringComparison.Ordinal) || t.Name.EndsWith("Html", StringComparison.Ordinal)));

    [Fact]
    public void EveryExporterHasFormatAndWriteAndNoOtherVerbForText()
    {
        List<Type> exporters = Exporters().ToList();
        Assert.Contains(typeof(ReportJson), exporters);
        Assert.Contains(typeof(ComparisonMarkdown), exporters);
        Assert.Contains(typeof(CompressionJson), exporters);
        Assert.Contains(typeof(StudyHtml), exporters);
        var problems = new List<string>();
        string[] oldVerbs = ["Serialize", "Deserialize", "To", "From"];
        foreach (Type t in exporters)
        {
            MethodInfo[] methods = t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsDefined(typeof(ObsoleteAttribute))).ToArray();
            if (!methods.Any(m => m.Name == "Format" && m.ReturnType == typeof(string)))
            {
                problems.Add($"{t.Name} has no Format(...) -> string");
            }

            if (!methods.Any(m => m.Name == "Write" && m.ReturnType == typeof(void) && m.GetParameters().Any(p => p.Name == "path")))
            {
                problems.Add($"{t.Name} has no Write(..., path)");
            }

            problems.AddRange(methods.Where(m => oldVerbs.Any(v => m.Name.StartsWith(v, StringComparison.Ordinal) && m.Name.Length > v.Length
                    && char.IsUpper(m.Name[v.Length]) || m.Name == v))
                .Select(m => $"{t.Name}.{m.Name} uses another verb than Format/Write/Parse/Read"));
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void SingleReportOverloadsWriteWhatFormatReturnsAtomically()
    {
        using var dir = new TempDirectory();
        ProfileReport report = ReportSamples.Full();
        ReportCsv.Write(report, dir.File("one.csv"));
        Assert.Equal(ReportCsv.Format([report]), File.ReadAllText(dir.File("one.csv")));
        Assert.Equal(ReportCsv.Format([report]), ReportCsv.Format(report));

        ReportJson.Write([report, report], dir.File("many.json"));
        Assert.Equal(2, ReportJson.ReadMany(dir.File("many.json")).Count);
        Assert.Equal(ReportJson.Format(report), ReportJson.Format(ReportJson.Parse(ReportJson.Format(report))));

        var study = new StudyResults
        {
            CreatedUtc = DateTimeOffset.UnixEpoch,
            Environment = EnvironmentInfo.Capture(),
            Baseline = "ort-cpu",
            Settings = new StudySettings { Backends = ["ort-cpu"], Precisions = [Precision.Fp32] },
            Models = [new StudyModel { Name = "squeezenet1_1", Resolution = 64, Variants = [new StudyVariant { Precision = Precision.Fp32 }] }],
            Cells = [new StudyCell { Model = "squeezenet1_1", Precision = Precision.Fp32, Backend = "ort-cpu", SpeedUp = 1, Report = report }],
        };
        StudyHtml.Write(study, dir.File("study/index.html"));
        StudyMarkdown.Write(study, dir.File("study/summary.md"));
        Assert.Equal(StudyHtml.Format(study), File.ReadAllText(dir.File("study/index.html")));
        Assert.Equal(StudyMarkdown.Format(study), File.ReadAllText(dir.File("study/summary.md")));
        Assert.Equal(StudyJson.Format(study), StudyJson.Format(StudyJson.Parse(StudyJson.Format(study))));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));

        // The former names still compile (as obsolete forwarders) and give the same text.
#pragma warning disable CS0618
        Assert.Equal(ReportJson.Format(report), ReportJson.Serialize(report));
#pragma warning restore CS0618
    }

    [Fact]
    public void CancellationTokenIsTheLastParameterOfEveryPublicMethod()
    {
        var problems = Libraries.SelectMany(PublicMembers)
            .Where(m => m.GetParameters() is { Length: > 0 } ps
                && ps.Take(ps.Length - 1).Any(p => p.ParameterType == typeof(CancellationToken)))
            .Select(Describe).ToList();
        Assert.Empty(problems);
    }

    [Fact]
    public void NoPublicMethodTakesALoggerPerCallAndTheOptionsCarryALoggerFactory()
    {
        var problems = Libraries.SelectMany(PublicMembers)
            .Where(m => m.GetParameters().Any(p => p.ParameterType == typeof(ILogger)))
            .Select(Describe).ToList();
        Assert.Empty(problems);
        foreach (Type options in new[] { typeof(InferenceOptions), typeof(ProfileOptions), typeof(StudyOptions), typeof(QuantizationOptions), typeof(Float16Options) })
        {
            Assert.Equal(typeof(ILoggerFactory), options.GetProperty("LoggerFactory")?.PropertyType);
        }

        var factory = new ListLogger();
        Assert.Same(factory, new ProfileOptions { LoggerFactory = factory }.ToInferenceOptions().LoggerFactory);
    }

    [Fact]
    public void SessionCreationClassifierAndCompressionLogThroughTheirOptions()
    {
        var log = new ListLogger();
        Model tiny = TestModels.Tiny();
        foreach (string backend in new[] { "cpu-simd", "ort-cpu" })
        {
            using IInferenceSession session = Backend.Parse(backend).CreateSession(tiny, new InferenceOptions { Threads = 1, LoggerFactory = log });
        }

        Assert.Contains(log.Messages, m => m.Level == LogLevel.Debug && m.Text.Contains("Creating a cpu-simd session for tiny", StringComparison.Ordinal));
        Assert.Contains(log.Messages, m => m.Level == LogLevel.Debug && m.Text.Contains("Creating a ort-cpu session for tiny", StringComparison.Ordinal));

        Model image = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        using (new Classifier(image, Backend.Parse("cpu-simd"), inferenceOptions: new InferenceOptions { Threads = 1, LoggerFactory = log }))
        {
            Assert.Contains(log.Messages, m => m.Text.StartsWith("Classifier of", StringComparison.Ordinal) && m.Text.Contains("cpu-simd", StringComparison.Ordinal));
        }

        Assert.Contains(typeof(Classifier).FullName!, log.Categories);
        Quantizer.QuantizeDynamic(tiny, new QuantizationOptions { LoggerFactory = log });
        Assert.Contains(typeof(Quantizer).FullName!, log.Categories);
    }

    [Theory]
    [InlineData("cpu-simd")]
    [InlineData("ort-cpu")]
    public void UseAfterDisposeThrowsObjectDisposedExceptionOnEveryBackend(string backend)
    {
        var inputs = new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats([1f, 2f, 3f, 4f], [1, 4]) };
        IInferenceSession session = Backend.Parse(backend).CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = 1 });
        IPreparedRun prepared = session.Prepare(inputs);
        prepared.Run();
        prepared.Dispose();
        Assert.Throws<ObjectDisposedException>(prepared.Run);

        IPreparedRun orphan = session.Prepare(inputs);
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(inputs));
        Assert.Throws<ObjectDisposedException>(() => session.Prepare(inputs));
        Assert.Throws<ObjectDisposedException>(orphan.Run);
        orphan.Dispose();
    }

    [Theory]
    [InlineData("cpu-simd")]
    [InlineData("ort-cpu")]
    public void SessionsRefuseNullInputsWithArgumentNullException(string backend)
    {
        using IInferenceSession session = Backend.Parse(backend).CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = 1 });
        Assert.Throws<ArgumentNullException>(() => session.Run(null!));
        Assert.Throws<ArgumentNullException>(() => session.Prepare(null!));
        Assert.Throws<ArgumentNullException>(() => Backend.Parse(backend).CreateSession(null!));
    }

    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>
    /// Calls <paramref name="member"/> with null for each parameter that is not nullable (the others null or default); null when
    /// it throws <see cref="ArgumentNullException"/> (at once, or from the returned task), else what happened. Members without a
    /// non-nullable reference parameter, or with by-ref, pointer, span or generic parameters, are not called (returns null).
    /// </summary>
    private static async Task<string?> NullProblem(MethodBase member, object? target)
    {
        ParameterInfo[] ps = member.GetParameters();
        if (ps.Any(p => p.ParameterType.IsByRef || p.ParameterType.IsPointer || p.ParameterType.IsByRefLike || p.ParameterType.ContainsGenericParameters)
            || !ps.Any(p => !p.ParameterType.IsValueType && Nullability.Create(p).WriteState == NullabilityState.NotNull))
        {
            return null;
        }

        object?[] args = ps.Select(p => p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
        Exception? thrown = null;
        try
        {
            object? result = member is ConstructorInfo c ? c.Invoke(args) : member.Invoke(target, args);
            if (result is Task task)
            {
                try
                {
                    await task.WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (Exception e)
                {
                    thrown = e;
                }
            }
        }
        catch (TargetInvocationException e)
        {
            thrown = e.InnerException;
        }

        return thrown is ArgumentNullException ? null
            : $"{Describe(member)}: {(thrown is null ? "no exception" : thrown.GetType().Name + ": " + thrown.Message.Split('\n')[0])}";
    }

    private static bool Callable(MethodBase m) =>
        !m.IsSpecialName && !m.IsGenericMethodDefinition && !m.IsDefined(typeof(ObsoleteAttribute)) && m.GetParameters().Length > 0;

    /// <summary>
    /// Every public static method and constructor of LightNet and LightNet.Extensions.Hosting, called with null for each
    /// parameter that is not nullable (the others null or default), throws <see cref="ArgumentNullException"/> — at once, or
    /// from the returned task. Data records (whose constructors only hold values) and exceptions are left out.
    /// </summary>
    [Fact]
    public async Task EveryPublicEntryPointRefusesNullWithArgumentNullException()
    {
        var problems = new List<string>();
        int checkedCount = 0;
        foreach (Type type in Libraries.Take(2).SelectMany(a => a.GetExportedTypes())
            .Where(t => !t.IsGenericTypeDefinition && !typeof(Exception).IsAssignableFrom(t) && !typeof(Delegate).IsAssignableFrom(t)))
        {
            bool isRecord = type.GetMethod("<Clone>$") is not null || type.IsValueType;
            IEnumerable<MethodBase> members = type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Cast<MethodBase>()
                .Concat(type.IsAbstract || isRecord ? [] : type.GetConstructors());
            foreach (MethodBase m in members.Where(Callable))
            {
                checkedCount++;
                if (await NullProblem(m, null) is string problem)
                {
                    problems.Add(problem);
                }
            }
        }

        Assert.True(checkedCount > 100, $"only {checkedCount} entry points were checked");
        Assert.True(problems.Count == 0, $"{problems.Count} of {checkedCount} entry points:\n" + string.Join("\n", problems));
    }

    /// <summary>The same for the public instance methods of the objects an app works with: model, builder, preprocessor, backend,
    /// sessions of both backends that run here, classifier and downloader.</summary>
    [Fact]
    public async Task EveryPublicInstanceMethodOfTheMainObjectsRefusesNull()
    {
        Model image = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 4 });
        using IInferenceSession cpu = Backend.Parse("cpu-simd").CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = 1 });
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(TestModels.Tiny(), new InferenceOptions { Threads = 1 });
        using var classifier = new Classifier(image, Backend.Parse("cpu-simd"), inferenceOptions: new InferenceOptions { Threads = 1 });
        object[] targets = [TestModels.Tiny(), new ModelBuilder("b"), new ImagePreprocessor(), Backend.Parse("cpu-simd"), cpu, ort, classifier,
            new ModelDownloader()];
        var problems = new List<string>();
        int checkedCount = 0;
        foreach (object target in targets)
        {
            IEnumerable<MethodInfo> methods = target.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.DeclaringType!.Assembly == typeof(Model).Assembly && m.Name != nameof(Equals));
            foreach (MethodInfo m in methods.Where(Callable))
            {
                checkedCount++;
                if (await NullProblem(m, target) is string problem)
                {
                    problems.Add(problem);
                }
            }
        }

        Assert.True(checkedCount > 20, $"only {checkedCount} methods were checked");
        Assert.True(problems.Count == 0, $"{problems.Count} of {checkedCount} methods:\n" + string.Join("\n", problems));
    }

    [Theory]
    [InlineData("cpu-simd")]
    [InlineData("ort-cpu")]
    public void UnknownDimensionNamesAreRefusedWithTheNearestNameOnEveryBackend(string backend)
    {
        var b = new ModelBuilder("dynamic", 17);
        b.AddInput("x", TensorElementType.Float, [Dimension.Symbolic("batch"), 4]);
        b.AddInitializer(TensorData.FromFloats("w", [4, 3], Enumerable.Range(0, 12).Select(i => i * 0.1f).ToArray()));
        b.AddNode("MatMul", ["x", "w"], ["y"], "mm");
        b.AddOutput("y", TensorElementType.Float, [Dimension.Symbolic("batch"), 3]);
        Model model = b.Build();

        var e = Assert.Throws<LightNetException>(() => Backend.Parse(backend).CreateSession(model,
            new InferenceOptions { DimensionValues = new Dictionary<string, long> { ["bacth"] = 2 } }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("'bacth' (did you mean 'batch'?)", e.Message, StringComparison.Ordinal);
        Assert.Contains(backend, e.Message, StringComparison.Ordinal);

        e = Assert.Throws<LightNetException>(() => Backend.Parse(backend).CreateSession(TestModels.Tiny(),
            new InferenceOptions { DimensionValues = new Dictionary<string, long> { ["N"] = 1 } }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("it has no symbolic dimensions", e.Message, StringComparison.Ordinal);

        using IInferenceSession ok = Backend.Parse(backend).CreateSession(model,
            new InferenceOptions { DimensionValues = new Dictionary<string, long> { ["batch"] = 2 } });
        Assert.Equal([2L, 3], ok.Run(new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.Allocate(TensorElementType.Float, [2, 4]) })["y"].Shape);
    }
}
