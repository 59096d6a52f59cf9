// A minimal web API classifying images with a pool of warm LightNet sessions (LightNet.Extensions.Hosting).
//
//   dotnet run -c Release --project samples/WebClassifier
//   curl --data-binary @tests/TestImages/cat.jpg http://localhost:5000/classify
//   curl http://localhost:5000/health
//
// Settings (appsettings, environment or command line): Model (a zoo name, default squeezenet1_1, or an .onnx path),
// Resolution (zoo models, default 224), Backend (default cpu-simd), PoolSize (default 2). Zoo models have synthetic
// weights: pass a trained .onnx classifier for meaningful labels.

using LightNet;
using LightNet.Backends;
using LightNet.Extensions.Hosting;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Zoo;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
IConfiguration config = builder.Configuration;
string modelSetting = config["Model"] ?? "squeezenet1_1";
builder.Services.AddLightNet(o => o.AddModel(
    "classifier",
    _ => modelSetting.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
        ? Model.Load(modelSetting)
        : ModelZoo.Create(modelSetting, new ZooOptions { Resolution = config.GetValue("Resolution", 224) }),
    backend: config["Backend"] ?? "cpu-simd",
    poolSize: config.GetValue("PoolSize", 2)));
builder.Services.AddHealthChecks().AddLightNet();

WebApplication app = builder.Build();
app.MapHealthChecks("/health");

// POST an encoded image (JPEG, PNG, BMP, GIF, WebP) as the body; ?k=N for the top N (default 5).
app.MapPost("/classify", async (HttpRequest request, [FromKeyedServices("classifier")] SessionPool pool, int? k, CancellationToken ct) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body, ct);
    ImagePreprocessor preprocessor = ImagePreprocessor.For(pool.Model);
    TensorBuffer input;
    try
    {
        input = preprocessor.Process(body.ToArray(), "request body");
    }
    catch (LightNetException e) when (e.Code == ErrorCode.InvalidImage)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "Not a usable image");
    }

    float[] scores;
    using (SessionLease lease = await pool.RentAsync(ct))
    {
        IInferenceSession session = lease.Session;
        scores = session.Run(new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = input })[session.Outputs[0].Name].ToFloatArray();
    }

    if (!Softmax.IsDistribution(scores))
    {
        Softmax.Compute(scores, scores);
    }

    IReadOnlyList<Classification> top = TopK.Classify(scores, Math.Clamp(k ?? 5, 1, 100));
    return Results.Ok(new ClassifyResponse(pool.Model.Graph.Name, pool.Backend.Name, top.Select(c => new ClassScore(c.Index, c.Label, c.Probability)).ToArray()));
});

app.Run();

/// <summary>The answer of /classify.</summary>
/// <param name="Model">The model's graph name.</param>
/// <param name="Backend">The backend it ran on.</param>
/// <param name="Top">The most probable classes, most probable first.</param>
public sealed record ClassifyResponse(string Model, string Backend, ClassScore[] Top);

/// <summary>One class of a <see cref="ClassifyResponse"/>.</summary>
/// <param name="Index">The class index.</param>
/// <param name="Label">Its label.</param>
/// <param name="Probability">Its probability.</param>
public sealed record ClassScore(int Index, string Label, float Probability);

/// <summary>The app's entry point, public for WebApplicationFactory in the tests.</summary>
public partial class Program;
