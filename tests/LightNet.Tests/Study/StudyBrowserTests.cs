using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNet.Backends;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Study;

/// <summary>
/// index.html in a real browser: headless Chromium driven through chromedriver's WebDriver HTTP API. Every chart must have the
/// bars and labels the results call for, nothing may fail to load and the console must stay clean; a screenshot is saved.
/// </summary>
[Collection(StudyCollection.Name)]
public sealed class StudyBrowserTests(StudyFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const string Install = "Install it with: apt-get install -y chromium chromium-driver (Debian packages; .ci/run does this when they are missing).";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string? Find(params string[] names) =>
        names.Select(n => Path.IsPathRooted(n) ? n : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, n)).FirstOrDefault(File.Exists))
            .FirstOrDefault(p => p is not null && File.Exists(p));

    [Fact]
    public async Task EveryChartHasItsBarsAndLabelsAndNothingFailsToLoad()
    {
        string? chromium = Find("/usr/bin/chromium", "chromium", "chromium-browser");
        string? driver = Find("/usr/bin/chromedriver", "chromedriver");
        Assert.True(chromium is not null, "Chromium is missing, so the report cannot be checked in a browser. " + Install);
        Assert.True(driver is not null, "chromedriver is missing, so the report cannot be checked in a browser. " + Install);

        StudyResults r = fixture.Results;
        string folder = Path.Combine(_temp.Path, "report");
        StudyReport.Write(r, folder);
        string page = new Uri(Path.Combine(folder, StudyReport.HtmlFile)).AbsoluteUri;

        int port = FreePort();
        using var process = Process.Start(new ProcessStartInfo(driver!, [$"--port={port}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        string? session = null;
        try
        {
            await WaitReady(http);
            JsonNode created = await Send(http, HttpMethod.Post, "session", new JsonObject
            {
                ["capabilities"] = new JsonObject
                {
                    ["alwaysMatch"] = new JsonObject
                    {
                        ["browserName"] = "chrome",
                        ["goog:chromeOptions"] = new JsonObject
                        {
                            ["binary"] = chromium,
                            ["args"] = new JsonArray("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"),
                        },
                        ["goog:loggingPrefs"] = new JsonObject { ["browser"] = "ALL" },
                    },
                },
            });
            session = created["sessionId"]!.GetValue<string>();
            await Send(http, HttpMethod.Post, $"session/{session}/url", new JsonObject { ["url"] = page });

            JsonNode charts = JsonNode.Parse((await Script(http, session, Collect)).GetValue<string>())!;
            var byId = charts["charts"]!.AsArray().ToDictionary(c => c!["id"]!.GetValue<string>(), c => c!);
            Assert.Equal(0, charts["resources"]!.GetValue<int>());   // no image, font, style sheet or script fetched
            Assert.Equal(0, charts["external"]!.GetValue<int>());
            Assert.Equal("complete", charts["readyState"]!.GetValue<string>());

            List<string> models = r.Models.Select(m => m.Name).ToList();
            List<string> backends = [.. StudyFixture.Backends];
            List<string> precisions = ["fp32", "fp16", "int8"];
            int measuredFp32 = r.Cells.Count(c => c.Precision == Precision.Fp32 && c.Report is not null);
            CheckChart(byId, "latency", measuredFp32, models, backends, whiskers: measuredFp32);
            List<string> pairs = models.Select(m => $"{m} · ort-cpu").ToList(); // the baseline runs FP32 only, so it has no group here
            CheckChart(byId, "precision", r.Cells.Count(c => c.Report is not null && c.Backend == "ort-cpu"), pairs, precisions, whiskers: 6);
            CheckChart(byId, "size", r.Models.Sum(m => m.Variants.Count(v => v.Error is null)), models, precisions, whiskers: 0);
            List<string> series = [$"{StudyOptions.PlainBaseline} fp32", "ort-cpu fp32", "ort-cpu fp16", "ort-cpu int8"]; // the baseline runs FP32 only
            CheckChart(byId, "speedup", r.Cells.Count(c => c.Report is not null), models, series, whiskers: r.Cells.Count);
            // Nothing but fidelity was measured, so the accuracy chart shows the top-1 agreement of FP16 and INT8 with FP32.
            CheckChart(byId, "accuracy", r.Models.Sum(m => m.Variants.Count(v => v.Fidelity is not null)), models, ["fp16", "int8"], whiskers: 0);
            List<string> ops = r.Cell("squeezenet1_1", "ort-cpu", Precision.Fp32)!.Report!.OperatorTypes.Take(10).Select(o => o.OpType).ToList();
            CheckChart(byId, "operators", ops.Count, ops, [], whiskers: 0);

            // The scatters: one point per measured cell, the Pareto front marked and joined, and each front point beaten by none.
            List<Candidate> candidates = ModelSelector.Candidates(r);
            foreach (string id in new[] { "tradeoff", "size-latency" })
            {
                JsonArray points = byId[id]["points"]!.AsArray();
                Assert.Equal(candidates.Count, points.Count);
                Assert.Equal(series, byId[id]["legend"]!.AsArray().Select(t => t!.GetValue<string>()));
                var front = points.Where(p => p!["front"]!.GetValue<bool>()).ToList();
                Assert.NotEmpty(front);
                Assert.Equal(1, byId[id]["paretoPaths"]!.GetValue<int>());
                Assert.Equal(front.Count, byId[id]["pointLabels"]!.GetValue<int>());
                bool higher = id == "tradeoff";
                foreach (JsonNode? f in front)
                {
                    double fx = f!["x"]!.GetValue<double>(), fy = f["y"]!.GetValue<double>();
                    Assert.DoesNotContain(points, p => p!["x"]!.GetValue<double>() < fx && (higher ? p["y"]!.GetValue<double>() > fy : p["y"]!.GetValue<double>() < fy));
                }

                Assert.True(byId[id]["width"]!.GetValue<double>() > 300);
            }

            Assert.Equal(8, byId.Count);

            // Load, first run and peak memory of every measured cell; warnings; no interval that reaches infinity.
            Assert.Equal(r.Cells.Count(c => c.Report is not null), charts["loadRows"]!.GetValue<int>());
            Assert.DoesNotContain("∞", charts["text"]!.GetValue<string>());
            Assert.Contains("Runner-up: ", charts["recommendation"]!.GetValue<string>());

            // The bars carry the numbers of the results: the latency bar of each cell is its median.
            foreach (JsonNode? bar in byId["latency"]["bars"]!.AsArray())
            {
                StudyCell cell = r.Cell(bar!["group"]!.GetValue<string>(), bar["series"]!.GetValue<string>(), Precision.Fp32)!;
                Assert.Equal(cell.Report!.LatencyMs.Median, bar["value"]!.GetValue<double>(), 2);
            }

            JsonNode speedBaseline = byId["speedup"]["bars"]!.AsArray().Single(b => b!["series"]!.GetValue<string>() == $"{StudyOptions.PlainBaseline} fp32"
                && b["group"]!.GetValue<string>() == "squeezenet1_1")!;
            Assert.Equal(1.0, speedBaseline["value"]!.GetValue<double>());
            Assert.Equal(1, byId["speedup"]["references"]!.GetValue<int>());
            Assert.Contains("lightnet study (test fixture)", charts["command"]!.GetValue<string>());
            Assert.Equal(r.Recommendation!.Summary, charts["recommendation"]!.GetValue<string>());

            JsonNode log = await Send(http, HttpMethod.Post, $"session/{session}/se/log", new JsonObject { ["type"] = "browser" });
            var problems = log.AsArray().Where(e => e!["level"]!.GetValue<string>() is "SEVERE" or "WARNING").Select(e => e!["message"]!.GetValue<string>()).ToList();
            Assert.True(problems.Count == 0, "Console: " + string.Join(" | ", problems));

            // The whole page as a screenshot, kept with the test output.
            int height = (int)(await Script(http, session, "return document.documentElement.scrollHeight;")).GetValue<double>();
            await Send(http, HttpMethod.Post, $"session/{session}/window/rect", new JsonObject { ["width"] = 1400, ["height"] = Math.Min(height + 120, 16000) });
            string png = (await Send(http, HttpMethod.Get, $"session/{session}/screenshot", null)).GetValue<string>();
            // In the test output folder (bin/<configuration>/<tfm>/TestResults), next to the test assembly.
            string shot = Path.Combine(AppContext.BaseDirectory, "TestResults", "study-report.png");
            Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
            byte[] bytes = Convert.FromBase64String(png);
            await File.WriteAllBytesAsync(shot, bytes);
            Assert.Equal((byte)0x89, bytes[0]);
            Assert.True(bytes.Length > 20_000, $"screenshot of {bytes.Length} bytes");
            output.WriteLine($"Screenshot of the report: {shot}");
        }
        finally
        {
            if (session is not null)
            {
                try
                {
                    await Send(http, HttpMethod.Delete, $"session/{session}", null);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    output.WriteLine($"Closing the session failed: {e.Message}");
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Reads every chart out of the rendered page (the page itself has no script).</summary>
    private const string Collect = """
        const charts = [...document.querySelectorAll('svg[data-chart]')].map(svg => ({
          id: svg.dataset.chart,
          width: svg.getBoundingClientRect().width,
          bars: [...svg.querySelectorAll('rect.bar')].map(b => ({ group: b.dataset.group, series: b.dataset.series, value: parseFloat(b.dataset.value),
            height: b.getBBox().height })),
          groupLabels: [...svg.querySelectorAll('text.group-label')].map(t => t.textContent),
          legend: [...svg.querySelectorAll('text.legend-label')].map(t => t.textContent),
          whiskers: svg.querySelectorAll('path.whisker').length,
          references: svg.querySelectorAll('line.reference').length,
          points: [...svg.querySelectorAll('circle.point')].map(p => ({ x: parseFloat(p.dataset.x), y: parseFloat(p.dataset.y), front: p.dataset.front === 'true' })),
          paretoPaths: svg.querySelectorAll('path.pareto').length,
          pointLabels: svg.querySelectorAll('text.point-label').length,
        }));
        return JSON.stringify({
          charts,
          resources: performance.getEntriesByType('resource').length,
          external: document.querySelectorAll('script, link, img, iframe, object, embed, [src], [href^="http"]').length,
          readyState: document.readyState,
          command: document.getElementById('command').textContent,
          recommendation: document.querySelector('#recommendation .recommendation').textContent,
          loadRows: document.querySelectorAll('#load tbody tr').length,
          text: document.body.innerText,
        });
        """;

    private static void CheckChart(Dictionary<string, JsonNode> charts, string id, int bars, List<string> groups, List<string> legend, int whiskers)
    {
        Assert.True(charts.ContainsKey(id), $"no chart '{id}' (charts: {string.Join(", ", charts.Keys)})");
        JsonNode chart = charts[id];
        JsonArray drawn = chart["bars"]!.AsArray();
        Assert.True(drawn.Count == bars, $"chart '{id}': {drawn.Count} bars, expected {bars}");
        Assert.All(drawn, b => Assert.True(b!["height"]!.GetValue<double>() >= 1, $"chart '{id}': a bar of no height"));
        Assert.Equal(groups, chart["groupLabels"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(legend, chart["legend"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.True(drawn.All(b => groups.Contains(b!["group"]!.GetValue<string>())), $"chart '{id}': a bar outside the groups");
        Assert.True(chart["whiskers"]!.GetValue<int>() <= whiskers, $"chart '{id}': {chart["whiskers"]} whiskers, at most {whiskers}");
        if (whiskers > 0)
        {
            Assert.True(chart["whiskers"]!.GetValue<int>() > 0, $"chart '{id}' has no whiskers");
        }

        Assert.True(chart["width"]!.GetValue<double>() > 300, $"chart '{id}' is {chart["width"]} px wide");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitReady(HttpClient http)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                JsonNode status = await Send(http, HttpMethod.Get, "status", null);
                if (status["ready"]?.GetValue<bool>() == true)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (watch.Elapsed < TimeSpan.FromSeconds(20))
            {
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "chromedriver did not start within 20 s. " + Install);
            await Task.Delay(100);
        }
    }

    private static Task<JsonNode> Script(HttpClient http, string session, string script) =>
        Send(http, HttpMethod.Post, $"session/{session}/execute/sync", new JsonObject { ["script"] = script, ["args"] = new JsonArray() });

    /// <summary>One WebDriver command; returns its "value", and fails with the driver's error message.</summary>
    private static async Task<JsonNode> Send(HttpClient http, HttpMethod method, string path, JsonObject? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            // A body with a length: chromedriver drops chunked requests.
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonNode? value = JsonNode.Parse(text)?["value"];
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"WebDriver {method} {path} failed ({(int)response.StatusCode}): {value?["message"] ?? text}");
        }

        return value ?? JsonValue.Create((string?)null)!;
    }
}
