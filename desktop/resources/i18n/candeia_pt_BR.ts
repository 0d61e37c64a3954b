<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pt_BR">
<context>
    <name>AddRemoteDialog</name>
    <message>
        <location filename="../../pages/remote_dialog.py" line="36"/>
        <source>Add a model on another computer</source>
        <translation>Adicionar um modelo de outro computador</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="39"/>
        <source>Use the models of an OpenAI-compatible server on another computer (llama-server, Ollama, vLLM, LM Studio or another Candeia). Its replies are computed there.</source>
        <translation>Use os modelos de um servidor compatível com a OpenAI em outro computador (llama-server, Ollama, vLLM, LM Studio ou outro Candeia). As respostas são calculadas lá.</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="45"/>
        <source>e.g. desktop-pc</source>
        <translation>ex.: pc-da-sala</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="49"/>
        <source>No API key</source>
        <translation>Sem chave de API</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="50"/>
        <source>Key in an environment variable</source>
        <translation>Chave em uma variável de ambiente</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="51"/>
        <source>Key (kept in the system keyring)</source>
        <translation>Chave (guardada no chaveiro do sistema)</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="55"/>
        <source>Only for a server with its own certificate</source>
        <translation>Só para um servidor com certificado próprio</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="56"/>
        <source>Browse…</source>
        <translation>Procurar…</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="61"/>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="62"/>
        <source>Address</source>
        <translation>Endereço</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="63"/>
        <source>API key</source>
        <translation>Chave de API</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="65"/>
        <location filename="../../pages/remote_dialog.py" line="89"/>
        <source>CA certificate</source>
        <translation>Certificado da CA</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="67"/>
        <source>Allow it in offline mode although it is outside this computer and the local network</source>
        <translation>Permitir no modo offline, embora esteja fora deste computador e da rede local</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="75"/>
        <source>Add</source>
        <translation>Adicionar</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="85"/>
        <source>Variable name, e.g. BIGBOX_API_KEY</source>
        <translation>Nome da variável, ex.: BIGBOX_API_KEY</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="86"/>
        <source>The API key</source>
        <translation>A chave de API</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="90"/>
        <source>Certificates (*.pem *.crt);;All files (*)</source>
        <translation>Certificados (*.pem *.crt);;Todos os arquivos (*)</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="105"/>
        <source>Give the server a name and its address.</source>
        <translation>Dê um nome ao servidor e informe o endereço.</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="108"/>
        <source>Asking {url} for its models…</source>
        <translation>Perguntando a {url} quais modelos ele tem…</translation>
    </message>
    <message>
        <location filename="../../pages/remote_dialog.py" line="119"/>
        <source>Could not add it: {error}</source>
        <translation>Não foi possível adicionar: {error}</translation>
    </message>
</context>
<context>
    <name>AnalyzeNotes</name>
    <message>
        <location filename="../../pages/analyze/notes.py" line="27"/>
        <source>cut to fit the model (tokens kept: {count})</source>
        <translation>cortado para caber no modelo (tokens mantidos: {count})</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="30"/>
        <source>read in parts (windows: {count})</source>
        <translation>lido em partes (janelas: {count})</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="31"/>
        <source>no answer found</source>
        <translation>nenhuma resposta encontrada</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="33"/>
        <source>empty text</source>
        <translation>texto vazio</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="35"/>
        <source>empty question</source>
        <translation>pergunta vazia</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="37"/>
        <source>row could not be read</source>
        <translation>não foi possível ler a linha</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="39"/>
        <source>text cut (characters kept: {count})</source>
        <translation>texto cortado (caracteres mantidos: {count})</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/notes.py" line="42"/>
        <source>failed: {reason}</source>
        <translation>falhou: {reason}</translation>
    </message>
</context>
<context>
    <name>AnalyzePage</name>
    <message>
        <location filename="../../pages/analyze/page.py" line="60"/>
        <location filename="../../pages/analyze/page.py" line="138"/>
        <source>Analyze</source>
        <translation>Analisar</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="72"/>
        <source>Sentiment</source>
        <translation>Sentimento</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="72"/>
        <source>Classify (topics)</source>
        <translation>Classificar (temas)</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="73"/>
        <source>Zero-shot labels</source>
        <translation>Rótulos livres (zero-shot)</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="73"/>
        <source>Entities (names, places)</source>
        <translation>Entidades (nomes, lugares)</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="74"/>
        <source>Question answering</source>
        <translation>Responder perguntas</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="81"/>
        <location filename="../../pages/analyze/page.py" line="96"/>
        <source>Task</source>
        <translation>Tarefa</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="83"/>
        <location filename="../../pages/analyze/page.py" line="98"/>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="86"/>
        <source>Labels, separated by commas: praise, complaint, question</source>
        <translation>Rótulos, separados por vírgulas: elogio, reclamação, dúvida</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="87"/>
        <location filename="../../pages/analyze/page.py" line="95"/>
        <location filename="../../pages/analyze/page.py" line="170"/>
        <source>Labels</source>
        <translation>Rótulos</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="88"/>
        <source>Several labels per text</source>
        <translation>Vários rótulos por texto</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="90"/>
        <source>The question to answer from each text</source>
        <translation>A pergunta a responder com cada texto</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="91"/>
        <location filename="../../pages/analyze/page.py" line="95"/>
        <source>Question</source>
        <translation>Pergunta</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="115"/>
        <source>Paste a text here, or open a CSV file with one text per row</source>
        <translation>Cole um texto aqui ou abra um arquivo CSV com um texto por linha</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="116"/>
        <source>Text to analyse</source>
        <translation>Texto a analisar</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="119"/>
        <source>Open CSV…</source>
        <translation>Abrir CSV…</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="125"/>
        <source>Text column</source>
        <translation>Coluna do texto</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="126"/>
        <source>Use the pasted text</source>
        <translation>Usar o texto colado</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="141"/>
        <source>Stop</source>
        <translation>Parar</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="143"/>
        <source>Export…</source>
        <translation>Exportar…</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="165"/>
        <source>Results</source>
        <translation>Resultados</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="175"/>
        <source>Selected row</source>
        <translation>Linha selecionada</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="195"/>
        <source>chat model</source>
        <translation>modelo de chat</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="201"/>
        <source>No model for this task is installed. Sentiment, classify and zero-shot work with any chat model; entities and question answering need an analysis model from the Models page.</source>
        <translation>Nenhum modelo para esta tarefa está instalado. Sentimento, classificação e zero-shot funcionam com qualquer modelo de chat; entidades e respostas a perguntas precisam de um modelo de análise da página Modelos.</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="221"/>
        <source>Open a file of texts</source>
        <translation>Abrir um arquivo de textos</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="222"/>
        <source>Texts (*.csv *.jsonl *.txt)</source>
        <translation>Textos (*.csv *.jsonl *.txt)</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="257"/>
        <source>Pick a model first.</source>
        <translation>Escolha um modelo primeiro.</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="259"/>
        <source>Paste a text or open a CSV file first.</source>
        <translation>Cole um texto ou abra um arquivo CSV primeiro.</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="261"/>
        <source>Type the labels to choose from, separated by commas.</source>
        <translation>Digite os rótulos possíveis, separados por vírgulas.</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="263"/>
        <source>Type the question to answer.</source>
        <translation>Digite a pergunta a responder.</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="275"/>
        <source>Loading the model…</source>
        <translation>Carregando o modelo…</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="284"/>
        <source>Rows analysed: {count}…</source>
        <translation>Linhas analisadas: {count}…</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="290"/>
        <source>Rows analysed: {count}</source>
        <translation>Linhas analisadas: {count}</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="292"/>
        <source>with notes: {count}</source>
        <translation>com observações: {count}</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="297"/>
        <source>Stopped. Rows analysed: {count}</source>
        <translation>Parado. Linhas analisadas: {count}</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="327"/>
        <source>Exported to {name} (rows: {count})</source>
        <translation>Exportado para {name} (linhas: {count})</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="316"/>
        <source>Export the results</source>
        <translation>Exportar os resultados</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="176"/>
        <source>Select a row to see its details</source>
        <translation>Selecione uma linha para ver os detalhes</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="317"/>
        <source>CSV (*.csv);;JSON Lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/page.py" line="325"/>
        <source>Could not export: {reason}</source>
        <translation>Não foi possível exportar: {reason}</translation>
    </message>
</context>
<context>
    <name>AskPanel</name>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="44"/>
        <source>Ask a question about these documents</source>
        <translation>Faça uma pergunta sobre estes documentos</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="45"/>
        <source>Question</source>
        <translation>Pergunta</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="47"/>
        <location filename="../../pages/documents/ask_panel.py" line="82"/>
        <source>Ask</source>
        <translation>Perguntar</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="55"/>
        <source>Answer</source>
        <translation>Resposta</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="56"/>
        <source>The answer appears here, with numbered sources you can open.</source>
        <translation>A resposta aparece aqui, com fontes numeradas que você pode abrir.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="82"/>
        <source>Stop</source>
        <translation>Parar</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="88"/>
        <source>Searching the documents…</source>
        <translation>Buscando nos documentos…</translation>
    </message>
    <message>
        <location filename="../../pages/documents/ask_panel.py" line="100"/>
        <source>Nothing in these documents answers that.</source>
        <translation>Nada nestes documentos responde a isso.</translation>
    </message>
</context>
<context>
    <name>BatchPanel</name>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="58"/>
        <source>&amp;Folder:</source>
        <translation>&amp;Pasta:</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="62"/>
        <source>Choose or drop a folder of images</source>
        <translation>Escolha ou solte uma pasta de imagens</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="63"/>
        <source>Folder of images</source>
        <translation>Pasta de imagens</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="66"/>
        <source>Choose folder…</source>
        <translation>Escolher pasta…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="67"/>
        <location filename="../../pages/caption/batch_panel.py" line="176"/>
        <source>Choose a folder of images</source>
        <translation>Escolher uma pasta de imagens</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="76"/>
        <source>Include subfolders</source>
        <translation>Incluir subpastas</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="77"/>
        <source>Include images in subfolders</source>
        <translation>Incluir imagens das subpastas</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="79"/>
        <source>Write a .txt beside each image</source>
        <translation>Gravar um .txt ao lado de cada imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="80"/>
        <source>Write a caption text file beside each image</source>
        <translation>Gravar um arquivo de texto com a legenda ao lado de cada imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="81"/>
        <source>photo.jpg gets photo.txt, the convention of training tools</source>
        <translation>foto.jpg ganha foto.txt, a convenção das ferramentas de treino</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="83"/>
        <source>Skip images already captioned</source>
        <translation>Pular imagens já legendadas</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="85"/>
        <source>Skip images captioned by an earlier run</source>
        <translation>Pular imagens legendadas numa execução anterior</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="86"/>
        <source>Images in the results file (or with a .txt beside them) are not captioned again, so a stopped batch resumes where it stopped</source>
        <translation>Imagens que já estão no arquivo de resultados (ou com um .txt ao lado) não são legendadas de novo; assim um lote interrompido continua de onde parou</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="95"/>
        <source>Save results to:</source>
        <translation>Salvar resultados em:</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="97"/>
        <source>Save results to a file</source>
        <translation>Salvar os resultados num arquivo</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="100"/>
        <source>captions.csv in the folder</source>
        <translation>captions.csv na pasta</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="101"/>
        <source>Results file (.csv or .jsonl)</source>
        <translation>Arquivo de resultados (.csv ou .jsonl)</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="102"/>
        <source>A .csv or .jsonl file; results are added as they are made</source>
        <translation>Um arquivo .csv ou .jsonl; os resultados são acrescentados à medida que saem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="105"/>
        <source>Change…</source>
        <translation>Alterar…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="106"/>
        <source>Choose the results file</source>
        <translation>Escolher o arquivo de resultados</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="115"/>
        <source>Caption folder</source>
        <translation>Legendar pasta</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="117"/>
        <source>Caption every image in the folder</source>
        <translation>Legendar todas as imagens da pasta</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="121"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="122"/>
        <source>Cancel the batch</source>
        <translation>Cancelar o lote</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="128"/>
        <source>Batch progress</source>
        <translation>Progresso do lote</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="131"/>
        <source>%v of %m</source>
        <translation>%v de %m</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="133"/>
        <source>Export…</source>
        <translation>Exportar…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="134"/>
        <source>Export the results table</source>
        <translation>Exportar a tabela de resultados</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="135"/>
        <source>Save the table as CSV or JSON Lines</source>
        <translation>Salvar a tabela como CSV ou JSON Lines</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="146"/>
        <source>Batch status</source>
        <translation>Situação do lote</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="150"/>
        <source>File</source>
        <translation>Arquivo</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="150"/>
        <source>Caption or error</source>
        <translation>Legenda ou erro</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="151"/>
        <source>Batch results</source>
        <translation>Resultados do lote</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="160"/>
        <source>Double-click a row to show the image and its caption</source>
        <translation>Clique duas vezes numa linha para ver a imagem e a legenda</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="181"/>
        <source>Results file</source>
        <translation>Arquivo de resultados</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="182"/>
        <location filename="../../pages/caption/batch_panel.py" line="271"/>
        <source>CSV (*.csv);;JSON Lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="219"/>
        <source>Loading the model and finding images…</source>
        <translation>Carregando o modelo e procurando imagens…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="236"/>
        <source>{caption} (earlier run)</source>
        <translation>{caption} (execução anterior)</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="239"/>
        <source>Error: {error}</source>
        <translation>Erro: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="257"/>
        <source>{captioned} captioned, {skipped} skipped (earlier run), {failed} failed</source>
        <translation>{captioned} legendadas, {skipped} puladas (execução anterior), {failed} com erro</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="270"/>
        <source>Export results</source>
        <translation>Exportar resultados</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="288"/>
        <source>Cannot write {path}: {reason}</source>
        <translation>Não foi possível gravar {path}: {reason}</translation>
    </message>
    <message>
        <location filename="../../pages/caption/batch_panel.py" line="291"/>
        <source>Exported {count} rows to {path}</source>
        <translation>{count} linhas exportadas para {path}</translation>
    </message>
</context>
<context>
    <name>CaptionPage</name>
    <message>
        <location filename="../../pages/caption/page.py" line="54"/>
        <source>Caption</source>
        <translation>Legendar</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="102"/>
        <source>No captioning model</source>
        <translation>Nenhum modelo de legendas</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="104"/>
        <source>No captioning model is installed. Get one on the &lt;a href=&quot;models&quot;&gt;Models page&lt;/a&gt;: an ONNX vision-encoder-decoder model, or a llama.cpp vision model with its projector (mmproj).</source>
        <translation>Nenhum modelo de legendas instalado. Obtenha um na &lt;a href=&quot;models&quot;&gt;página Modelos&lt;/a&gt;: um modelo ONNX vision-encoder-decoder ou um modelo de visão do llama.cpp com seu projetor (mmproj).</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="111"/>
        <source>&amp;Model:</source>
        <translation>&amp;Modelo:</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="115"/>
        <source>Captioning model</source>
        <translation>Modelo de legendas</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="117"/>
        <source>No captioning model installed</source>
        <translation>Nenhum modelo de legendas instalado</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="120"/>
        <source>&amp;Style:</source>
        <translation>&amp;Estilo:</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="124"/>
        <source>Caption style</source>
        <translation>Estilo da legenda</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="125"/>
        <source>Short</source>
        <translation>Curta</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="125"/>
        <source>Detailed</source>
        <translation>Detalhada</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="126"/>
        <source>Alt text</source>
        <translation>Texto alternativo</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="60"/>
        <source>What the style does</source>
        <translation>O que o estilo faz</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="63"/>
        <source>Question about the image</source>
        <translation>Pergunta sobre a imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="69"/>
        <source>Caption one image or a folder</source>
        <translation>Legendar uma imagem ou uma pasta</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="293"/>
        <source>The caption appears here.</source>
        <translation>A legenda aparece aqui.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="71"/>
        <source>One image</source>
        <translation>Uma imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="77"/>
        <source>Folder</source>
        <translation>Pasta</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="154"/>
        <source>vision chat</source>
        <translation>chat com visão</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="177"/>
        <source>Ask a question about the image (optional)</source>
        <translation>Faça uma pergunta sobre a imagem (opcional)</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="178"/>
        <source>Questions need a vision chat model (GGUF with mmproj)</source>
        <translation>Perguntas precisam de um modelo de chat com visão (GGUF com mmproj)</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="185"/>
        <source>This captioning model writes one kind of caption: short and literal. Styles and questions need a vision chat model.</source>
        <translation>Este modelo escreve um só tipo de legenda: curta e literal. Estilos e perguntas precisam de um modelo de chat com visão.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="189"/>
        <source>Short: one sentence naming what the image shows.</source>
        <translation>Curta: uma frase dizendo o que a imagem mostra.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="190"/>
        <source>Detailed: a paragraph about the subject, setting, colours and any text in the image.</source>
        <translation>Detalhada: um parágrafo sobre o assunto, o cenário, as cores e qualquer texto na imagem.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="192"/>
        <source>Alt text: a concise description for people using screen readers.</source>
        <translation>Texto alternativo: uma descrição concisa para quem usa leitores de tela.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="213"/>
        <source>Cannot keep the pasted image in the temporary folder.</source>
        <translation>Não foi possível guardar a imagem colada na pasta temporária.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="217"/>
        <source>Pasted image, {width}×{height}</source>
        <translation>Imagem colada, {width}×{height}</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="245"/>
        <source>Open an image</source>
        <translation>Abrir uma imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="246"/>
        <source>Images ({patterns})</source>
        <translation>Imagens ({patterns})</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="266"/>
        <source>The clipboard holds no image.</source>
        <translation>A área de transferência não contém imagem.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="276"/>
        <source>Captioning…</source>
        <translation>Legendando…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="286"/>
        <source>{seconds:.2f} s</source>
        <translation>{seconds:.2f} s</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="304"/>
        <source>Copied</source>
        <translation>Copiada</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="314"/>
        <source>Choose a folder of images first.</source>
        <translation>Escolha primeiro uma pasta de imagens.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="318"/>
        <source>The results file must end in .csv or .jsonl.</source>
        <translation>O arquivo de resultados precisa terminar em .csv ou .jsonl.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="330"/>
        <source>Stopping after the images being captioned…</source>
        <translation>Parando depois das imagens em andamento…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="339"/>
        <source>No images found in the folder (PNG, JPEG, WebP, GIF, BMP, TIFF).</source>
        <translation>Nenhuma imagem encontrada na pasta (PNG, JPEG, WebP, GIF, BMP, TIFF).</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="342"/>
        <source>Done; results saved to {path}.</source>
        <translation>Pronto; resultados salvos em {path}.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="342"/>
        <source>Done.</source>
        <translation>Pronto.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="346"/>
        <source>Stopped; run the batch again to resume where it stopped.</source>
        <translation>Interrompido; execute o lote de novo para continuar de onde parou.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/page.py" line="348"/>
        <source>The batch stopped: {error}</source>
        <translation>O lote parou: {error}</translation>
    </message>
</context>
<context>
    <name>CatalogPane</name>
    <message>
        <location filename="../../pages/models.py" line="40"/>
        <source>Filter by task</source>
        <translation>Filtrar por tarefa</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="41"/>
        <source>All tasks</source>
        <translation>Todas as tarefas</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="45"/>
        <source>Filter by size</source>
        <translation>Filtrar por tamanho</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="47"/>
        <source>Any size</source>
        <translation>Qualquer tamanho</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="48"/>
        <source>Up to {size}</source>
        <translation>Até {size}</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="49"/>
        <location filename="../../pages/models.py" line="163"/>
        <source>Fits this computer</source>
        <translation>Cabe neste computador</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="51"/>
        <source>Only models whose memory estimate fits the free memory</source>
        <translation>Só modelos cuja estimativa de memória cabe na memória livre</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="53"/>
        <source>Commercial use allowed</source>
        <translation>Uso comercial permitido</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="54"/>
        <source>Only models whose licence allows commercial use without conditions</source>
        <translation>Só modelos cuja licença permite uso comercial sem condições</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="162"/>
        <source>Memory needed: measuring this computer…</source>
        <translation>Memória necessária: medindo este computador…</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="163"/>
        <source>Tight fit: close other apps first</source>
        <translation>Cabe no limite: feche outros apps antes</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="164"/>
        <source>Does not fit this computer&apos;s free memory</source>
        <translation>Não cabe na memória livre deste computador</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="164"/>
        <source>Fit unknown</source>
        <translation>Não se sabe se cabe</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="165"/>
        <source>RAM {ram} + VRAM {vram}</source>
        <translation>RAM {ram} + VRAM {vram}</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="166"/>
        <source>RAM {ram}</source>
        <translation>RAM {ram}</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="167"/>
        <source>Memory needed: {memory} at {context} tokens of context</source>
        <translation>Memória necessária: {memory} com {context} tokens de contexto</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="173"/>
        <source>fits with a {tokens}-token context</source>
        <translation>cabe com um contexto de {tokens} tokens</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="175"/>
        <source>fits with {layers} layers on the GPU</source>
        <translation>cabe com {layers} camadas na GPU</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="169"/>
        <source>{available} free</source>
        <translation>{available} livres</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="64"/>
        <source>Catalog</source>
        <translation>Catálogo</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="133"/>
        <source>No model matches these filters</source>
        <translation>Nenhum modelo corresponde a estes filtros</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="143"/>
        <source>{params} parameters</source>
        <translation>{params} parâmetros</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="145"/>
        <source>{size} download</source>
        <translation>download de {size}</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="146"/>
        <source>{tokens} tokens of context</source>
        <translation>{tokens} tokens de contexto</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="157"/>
        <source>Licence: {licence}</source>
        <translation>Licença: {licence}</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <location filename="../../pages/chat/budget_bar.py" line="20"/>
        <source>Context used</source>
        <translation>Contexto usado</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="83"/>
        <source>No model loaded</source>
        <translation>Nenhum modelo carregado</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="35"/>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="36"/>
        <source>The model that answers in this conversation</source>
        <translation>O modelo que responde nesta conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="41"/>
        <location filename="../../pages/chat/chrome.py" line="53"/>
        <location filename="../../pages/chat/chrome.py" line="67"/>
        <source>System prompt</source>
        <translation>Prompt de sistema</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="42"/>
        <source>Sampling settings</source>
        <translation>Configurações de amostragem</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="43"/>
        <location filename="../../pages/chat/export.py" line="31"/>
        <source>Export conversation</source>
        <translation>Exportar conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="17"/>
        <source>Export as Markdown…</source>
        <translation>Exportar como Markdown…</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="18"/>
        <source>Export as JSON…</source>
        <translation>Exportar como JSON…</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="58"/>
        <source>System prompt presets</source>
        <translation>Prompts de sistema prontos</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="59"/>
        <source>Presets…</source>
        <translation>Prontos…</translation>
    </message>
    <message>
        <location filename="../../pages/chat/chrome.py" line="66"/>
        <source>Instructions the model follows in this conversation</source>
        <translation>Instruções que o modelo segue nesta conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="179"/>
        <source>Loading {model}…</source>
        <translation>Carregando {model}…</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="182"/>
        <source>{model} loaded in {ms:.0f} ms</source>
        <translation>{model} carregado em {ms:.0f} ms</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="188"/>
        <source>The model could not be loaded</source>
        <translation>Não foi possível carregar o modelo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="189"/>
        <source>The model could not be loaded: {error}</source>
        <translation>Não foi possível carregar o modelo: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="253"/>
        <source>This reply did not finish: it stopped while it was being written.</source>
        <translation>Esta resposta não terminou: ela parou enquanto estava sendo escrita.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="267"/>
        <source>Install or import a chat model first (see the Models page).</source>
        <translation>Instale ou importe um modelo de conversa primeiro (veja a página Modelos).</translation>
    </message>
    <message>
        <location filename="../../pages/chat/page.py" line="270"/>
        <source>New chat</source>
        <translation>Nova conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/budget_bar.py" line="34"/>
        <source>{used} of {total} context tokens</source>
        <translation>{used} de {total} tokens de contexto</translation>
    </message>
    <message>
        <location filename="../../pages/chat/budget_bar.py" line="37"/>
        <source>This conversation is longer than the model&apos;s context ({total} tokens): the oldest {count} messages are left out of what the model sees. The system prompt and the newest messages are kept.</source>
        <translation>Esta conversa é maior que o contexto do modelo ({total} tokens): as {count} mensagens mais antigas ficam de fora do que o modelo vê. O prompt de sistema e as mensagens mais recentes são mantidos.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/budget_bar.py" line="43"/>
        <source>The last message is too long for the model&apos;s context ({total} tokens). Shorten it or raise the context size in the sampling settings.</source>
        <translation>A última mensagem é longa demais para o contexto do modelo ({total} tokens). Encurte-a ou aumente o tamanho do contexto nas configurações de amostragem.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="27"/>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="29"/>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="40"/>
        <source>System</source>
        <translation>Sistema</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="41"/>
        <source>You</source>
        <translation>Você</translation>
    </message>
    <message>
        <location filename="../../pages/chat/export.py" line="42"/>
        <source>Assistant</source>
        <translation>Assistente</translation>
    </message>
</context>
<context>
    <name>CodeBlock</name>
    <message>
        <location filename="../../pages/chat/message_view.py" line="113"/>
        <source>Copy code</source>
        <translation>Copiar código</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="125"/>
        <source>code</source>
        <translation>código</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../../pages/chat/composer.py" line="36"/>
        <source>Message the model (Enter sends, Shift+Enter for a new line)</source>
        <translation>Mensagem para o modelo (Enter envia, Shift+Enter quebra a linha)</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="37"/>
        <source>Message</source>
        <translation>Mensagem</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="62"/>
        <source>Stop</source>
        <translation>Parar</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="64"/>
        <source>Stop the reply now (Esc)</source>
        <translation>Parar a resposta agora (Esc)</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="65"/>
        <source>Stop the reply</source>
        <translation>Parar a resposta</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="67"/>
        <source>Send</source>
        <translation>Enviar</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="69"/>
        <source>Send the message (Enter)</source>
        <translation>Enviar a mensagem (Enter)</translation>
    </message>
    <message>
        <location filename="../../pages/chat/composer.py" line="70"/>
        <source>Send the message</source>
        <translation>Enviar a mensagem</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="38"/>
        <location filename="../../pages/chat/conversation_list.py" line="41"/>
        <source>New chat</source>
        <translation>Nova conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="40"/>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Começar uma nova conversa (Ctrl+N)</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="46"/>
        <location filename="../../pages/chat/conversation_list.py" line="47"/>
        <source>Search conversations</source>
        <translation>Buscar conversas</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="52"/>
        <source>Conversations</source>
        <translation>Conversas</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="58"/>
        <source>Rename</source>
        <translation>Renomear</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="62"/>
        <location filename="../../pages/chat/conversation_list.py" line="98"/>
        <source>Delete</source>
        <translation>Excluir</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="97"/>
        <source>Rename…</source>
        <translation>Renomear…</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="107"/>
        <source>Rename conversation</source>
        <translation>Renomear conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="107"/>
        <source>Title:</source>
        <translation>Título:</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="121"/>
        <source>Delete conversation</source>
        <translation>Excluir conversa</translation>
    </message>
    <message>
        <location filename="../../pages/chat/conversation_list.py" line="122"/>
        <source>Delete “{title}” and all its messages? This cannot be undone.</source>
        <translation>Excluir “{title}” e todas as suas mensagens? Isso não pode ser desfeito.</translation>
    </message>
</context>
<context>
    <name>CreatePage</name>
    <message>
        <location filename="../../pages/create/page.py" line="62"/>
        <source>Create</source>
        <translation>Criar</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="92"/>
        <source>No image model</source>
        <translation>Nenhum modelo de imagem</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="94"/>
        <source>No image model is installed. Get one on the &lt;a href=&quot;models&quot;&gt;Models page&lt;/a&gt;: SD-Turbo makes an image in one step; Stable Diffusion 1.5 takes longer and is more detailed. The gallery works without one.</source>
        <translation>Nenhum modelo de imagem está instalado. Obtenha um na &lt;a href=&quot;models&quot;&gt;página Modelos&lt;/a&gt;: o SD-Turbo faz uma imagem em um passo; o Stable Diffusion 1.5 demora mais e é mais detalhado. A galeria funciona sem modelo.</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="102"/>
        <source>&amp;Model:</source>
        <translation>&amp;Modelo:</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="106"/>
        <source>Image model</source>
        <translation>Modelo de imagem</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="108"/>
        <source>No image model installed</source>
        <translation>Nenhum modelo de imagem instalado</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="122"/>
        <source>&amp;Generate</source>
        <translation>&amp;Gerar</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="124"/>
        <source>Generate (Ctrl+Enter)</source>
        <translation>Gerar (Ctrl+Enter)</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="126"/>
        <source>S&amp;top</source>
        <translation>&amp;Parar</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="133"/>
        <source>Generation progress</source>
        <translation>Progresso da geração</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="140"/>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="146"/>
        <source>Preview</source>
        <translation>Prévia</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="200"/>
        <source>Write a prompt first.</source>
        <translation>Escreva um prompt primeiro.</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="205"/>
        <source>Loading {model}…</source>
        <translation>Carregando {model}…</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="213"/>
        <source>Stopping…</source>
        <translation>Parando…</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="220"/>
        <source>Step {step} of {total}</source>
        <translation>Passo {step} de {total}</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="231"/>
        <source>Made in {seconds:.1f} s on {device}; seed {seed}</source>
        <translation>Feita em {seconds:.1f} s em {device}; semente {seed}</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="234"/>
        <source>Made {count} images in {seconds:.1f} s on {device}; seeds {first} to {last}</source>
        <translation>{count} imagens feitas em {seconds:.1f} s em {device}; sementes {first} a {last}</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="240"/>
        <source>Stopped.</source>
        <translation>Parado.</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="258"/>
        <source>Error: {error}</source>
        <translation>Erro: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="283"/>
        <source>{name} does not say how it was made.</source>
        <translation>{name} não diz como foi feita.</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="286"/>
        <source>Settings of {name} are in the form.</source>
        <translation>As configurações de {name} estão no formulário.</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="288"/>
        <source>It was made with {model}, which is not installed.</source>
        <translation>Foi feita com {model}, que não está instalado.</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="313"/>
        <source>Added to the gallery: {name}</source>
        <translation>Adicionada à galeria: {name}</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="318"/>
        <source>Images ({patterns})</source>
        <translation>Imagens ({patterns})</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="322"/>
        <source>Add images to the gallery</source>
        <translation>Adicionar imagens à galeria</translation>
    </message>
    <message>
        <location filename="../../pages/create/page.py" line="328"/>
        <source>Choose the image to start from</source>
        <translation>Escolha a imagem de partida</translation>
    </message>
</context>
<context>
    <name>DocumentsPage</name>
    <message>
        <location filename="../../pages/documents/page.py" line="73"/>
        <source>A knowledge base answers questions from your own files (PDF, Word, Markdown, text, HTML, source code) with the passages it used, all on this computer.

Create one with New, then add files or folders.</source>
        <translation>Uma base de conhecimento responde a perguntas a partir dos seus próprios arquivos (PDF, Word, Markdown, texto, HTML, código-fonte) e mostra os trechos que usou, tudo neste computador.

Crie uma com Nova e depois adicione arquivos ou pastas.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="92"/>
        <location filename="../../pages/documents/page.py" line="96"/>
        <source>Knowledge bases</source>
        <translation>Bases de conhecimento</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="100"/>
        <source>New…</source>
        <translation>Nova…</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="102"/>
        <source>Remove</source>
        <translation>Remover</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="103"/>
        <source>Delete the index (your files are not touched)</source>
        <translation>Apagar o índice (seus arquivos não são tocados)</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="126"/>
        <source>Indexing progress</source>
        <translation>Progresso da indexação</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="148"/>
        <source>Add files…</source>
        <translation>Adicionar arquivos…</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="150"/>
        <source>Add folder…</source>
        <translation>Adicionar pasta…</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="152"/>
        <source>Re-scan</source>
        <translation>Reexaminar</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="153"/>
        <source>Index new and changed files, drop deleted ones</source>
        <translation>Indexar arquivos novos e alterados, retirar os apagados</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="155"/>
        <location filename="../../pages/documents/page.py" line="215"/>
        <source>Pause</source>
        <translation>Pausar</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="157"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="158"/>
        <source>Stop indexing; files already indexed stay</source>
        <translation>Parar a indexação; os arquivos já indexados ficam</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="198"/>
        <source>{model} · {files} files · {chunks} passages · {size:.1f} MB</source>
        <translation>{model} · {files} arquivos · {chunks} trechos · {size:.1f} MB</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="203"/>
        <source>Indexing was interrupted. Resume to finish it.</source>
        <translation>A indexação foi interrompida. Continue para terminá-la.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="215"/>
        <source>Resume</source>
        <translation>Continuar</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="232"/>
        <source>The knowledge base was not created</source>
        <translation>A base de conhecimento não foi criada</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="240"/>
        <source>Remove {name}?</source>
        <translation>Remover {name}?</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="241"/>
        <source>The index of {name} is deleted. Your documents are not touched.</source>
        <translation>O índice de {name} é apagado. Seus documentos não são tocados.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="247"/>
        <source>The knowledge base was not removed</source>
        <translation>A base de conhecimento não foi removida</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="255"/>
        <source>Add files</source>
        <translation>Adicionar arquivos</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="256"/>
        <source>Documents (*.pdf *.docx *.md *.markdown *.txt *.html *.htm *.py *.js *.ts *.java *.c *.cpp *.h *.rs *.go *.rb);;All files (*)</source>
        <translation>Documentos (*.pdf *.docx *.md *.markdown *.txt *.html *.htm *.py *.js *.ts *.java *.c *.cpp *.h *.rs *.go *.rb);;Todos os arquivos (*)</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="263"/>
        <source>Add a folder</source>
        <translation>Adicionar uma pasta</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="278"/>
        <source>Looking for files…</source>
        <translation>Procurando arquivos…</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="284"/>
        <source>Pausing after the current file…</source>
        <translation>Pausando depois do arquivo atual…</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="293"/>
        <source>{done} of {total} files · {chunks} passages</source>
        <translation>{done} de {total} arquivos · {chunks} trechos</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="301"/>
        <source>Paused. Resume to finish indexing.</source>
        <translation>Pausada. Continue para terminar a indexação.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="302"/>
        <source>Cancelled. The files indexed so far stay.</source>
        <translation>Cancelada. Os arquivos indexados até aqui ficam.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="304"/>
        <source>Done: {indexed} indexed, {unchanged} unchanged, {skipped} skipped, {removed} removed in {seconds:.1f} s.</source>
        <translation>Pronto: {indexed} indexados, {unchanged} sem mudança, {skipped} ignorados, {removed} retirados em {seconds:.1f} s.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="316"/>
        <source>Indexing {name} failed: {error}</source>
        <translation>A indexação de {name} falhou: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/documents/page.py" line="324"/>
        <source>Install or import a chat model first (see the Models page): it writes the answer.</source>
        <translation>Instale ou importe um modelo de chat primeiro (veja a página Modelos): é ele que escreve a resposta.</translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message>
        <location filename="../../pages/download_panel.py" line="30"/>
        <location filename="../../pages/download_panel.py" line="95"/>
        <source>Download</source>
        <translation>Baixar</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="32"/>
        <source>Download the selected model</source>
        <translation>Baixar o modelo selecionado</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="34"/>
        <location filename="../../pages/download_panel.py" line="98"/>
        <source>Pause</source>
        <translation>Pausar</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="36"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="37"/>
        <source>Cancel the download</source>
        <translation>Cancelar o download</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="46"/>
        <source>Download progress</source>
        <translation>Progresso do download</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="85"/>
        <source>The download failed: {error}</source>
        <translation>O download falhou: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="89"/>
        <source>Installed</source>
        <translation>Instalados</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="91"/>
        <source>This model is installed; see the Installed tab.</source>
        <translation>Este modelo está instalado; veja a aba Instalados.</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="94"/>
        <source>Retry</source>
        <translation>Tentar de novo</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="95"/>
        <source>Resume download</source>
        <translation>Continuar o download</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="97"/>
        <location filename="../../pages/download_panel.py" line="101"/>
        <source>Offline mode is on (Settings)</source>
        <translation>O modo offline está ligado (Configurações)</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="98"/>
        <source>Resume</source>
        <translation>Continuar</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="103"/>
        <source>Waiting for a free download slot…</source>
        <translation>Esperando uma vaga para baixar…</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="105"/>
        <source>Paused; the downloaded part is kept.</source>
        <translation>Pausado; a parte já baixada fica guardada.</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="107"/>
        <source>Downloaded and verified.</source>
        <translation>Baixado e verificado.</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="109"/>
        <source>Cancelled.</source>
        <translation>Cancelado.</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="111"/>
        <source>Part of this download is already here; it continues where it stopped.</source>
        <translation>Parte deste download já está aqui; ele continua de onde parou.</translation>
    </message>
    <message>
        <location filename="../../pages/download_panel.py" line="125"/>
        <source>{done} of {total} · {speed}/s · {eta} left</source>
        <translation>{done} de {total} · {speed}/s · faltam {eta}</translation>
    </message>
</context>
<context>
    <name>DropZone</name>
    <message>
        <location filename="../../pages/caption/drop_zone.py" line="50"/>
        <source>Image drop zone</source>
        <translation>Área para soltar imagens</translation>
    </message>
    <message>
        <location filename="../../pages/caption/drop_zone.py" line="51"/>
        <source>Drop an image or a folder of images here</source>
        <translation>Solte aqui uma imagem ou uma pasta de imagens</translation>
    </message>
    <message>
        <location filename="../../pages/caption/drop_zone.py" line="59"/>
        <source>Image preview</source>
        <translation>Prévia da imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/drop_zone.py" line="69"/>
        <source>Drop an image here, paste one (Ctrl+V) or open a file.
Drop a folder to caption every image in it.</source>
        <translation>Solte uma imagem aqui, cole uma (Ctrl+V) ou abra um arquivo.
Solte uma pasta para legendar todas as imagens dela.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/drop_zone.py" line="85"/>
        <source>No preview for {name}</source>
        <translation>Sem prévia de {name}</translation>
    </message>
</context>
<context>
    <name>FileTable</name>
    <message>
        <location filename="../../pages/documents/file_table.py" line="16"/>
        <source>Indexed</source>
        <translation>Indexado</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="17"/>
        <source>Unchanged</source>
        <translation>Sem mudança</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="18"/>
        <source>Skipped</source>
        <translation>Ignorado</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="19"/>
        <source>Failed</source>
        <translation>Falhou</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="20"/>
        <source>Removed</source>
        <translation>Retirado</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="30"/>
        <source>File</source>
        <translation>Arquivo</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="30"/>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="30"/>
        <source>Passages</source>
        <translation>Trechos</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="30"/>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="31"/>
        <source>Files in the knowledge base</source>
        <translation>Arquivos na base de conhecimento</translation>
    </message>
    <message>
        <location filename="../../pages/documents/file_table.py" line="43"/>
        <source>Select all files</source>
        <translation>Selecionar todos os arquivos</translation>
    </message>
</context>
<context>
    <name>Footer</name>
    <message>
        <location filename="../../pages/translate/panes.py" line="107"/>
        <source>Open file…</source>
        <translation>Abrir arquivo…</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="109"/>
        <source>Translate a text, Markdown or subtitle file (Ctrl+O)</source>
        <translation>Traduzir um arquivo de texto, Markdown ou legendas (Ctrl+O)</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="110"/>
        <source>Open a file to translate</source>
        <translation>Abrir um arquivo para traduzir</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="112"/>
        <source>Save translation…</source>
        <translation>Salvar tradução…</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="114"/>
        <source>Save the translation as a file (Ctrl+S)</source>
        <translation>Salvar a tradução em um arquivo (Ctrl+S)</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="115"/>
        <source>Save the translation</source>
        <translation>Salvar a tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="119"/>
        <source>Open file</source>
        <translation>Arquivo aberto</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="122"/>
        <location filename="../../pages/translate/panes.py" line="123"/>
        <source>Translate as you type</source>
        <translation>Traduzir ao digitar</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="128"/>
        <source>Translation progress</source>
        <translation>Progresso da tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="130"/>
        <source>%v of %m sentences</source>
        <translation>%v de %m frases</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="133"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="135"/>
        <source>Cancel the translation</source>
        <translation>Cancelar a tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="137"/>
        <location filename="../../pages/translate/panes.py" line="140"/>
        <source>Translate</source>
        <translation>Traduzir</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="139"/>
        <source>Translate now (Ctrl+Enter)</source>
        <translation>Traduzir agora (Ctrl+Enter)</translation>
    </message>
</context>
<context>
    <name>GalleryPanel</name>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="31"/>
        <source>Gallery</source>
        <translation>Galeria</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="36"/>
        <source>A&amp;dd images…</source>
        <translation>A&amp;dicionar imagens…</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="37"/>
        <source>Add images from elsewhere (or drop them on the page)</source>
        <translation>Adicionar imagens de outro lugar (ou soltá-las na página)</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="53"/>
        <source>&amp;Open</source>
        <translation>&amp;Abrir</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="54"/>
        <source>&amp;Use these settings again</source>
        <translation>&amp;Reusar as configurações</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="55"/>
        <source>&amp;Copy</source>
        <translation>&amp;Copiar</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="56"/>
        <source>Save &amp;as…</source>
        <translation>Salvar &amp;como…</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="57"/>
        <source>&amp;Delete</source>
        <translation>E&amp;xcluir</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="78"/>
        <source>Images: {count}</source>
        <translation>Imagens: {count}</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="99"/>
        <source>{name} cannot be read.</source>
        <translation>{name} não pode ser lida.</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="105"/>
        <source>Save the image as</source>
        <translation>Salvar a imagem como</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="106"/>
        <source>PNG images (*.png)</source>
        <translation>Imagens PNG (*.png)</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="112"/>
        <source>Cannot save {name}: {error}</source>
        <translation>Não foi possível salvar {name}: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="117"/>
        <source>Delete the image?</source>
        <translation>Excluir a imagem?</translation>
    </message>
    <message>
        <location filename="../../pages/create/gallery_panel.py" line="118"/>
        <source>Delete {name} from the gallery? This cannot be undone.</source>
        <translation>Excluir {name} da galeria? Isso não pode ser desfeito.</translation>
    </message>
</context>
<context>
    <name>GalleryView</name>
    <message>
        <location filename="../../pages/create/gallery_view.py" line="112"/>
        <source>Gallery of images made</source>
        <translation>Galeria das imagens feitas</translation>
    </message>
</context>
<context>
    <name>ImageViewer</name>
    <message>
        <location filename="../../pages/create/viewer.py" line="39"/>
        <source>Image</source>
        <translation>Imagem</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="45"/>
        <source>How the image was made</source>
        <translation>Como a imagem foi feita</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="49"/>
        <source>&amp;Use these settings again</source>
        <translation>&amp;Reusar as configurações</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="50"/>
        <source>&amp;Copy</source>
        <translation>&amp;Copiar</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="51"/>
        <source>&amp;Save as…</source>
        <translation>&amp;Salvar como…</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="52"/>
        <source>&amp;Delete</source>
        <translation>E&amp;xcluir</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="58"/>
        <source>This image cannot be shown.</source>
        <translation>Esta imagem não pode ser mostrada.</translation>
    </message>
    <message>
        <location filename="../../pages/create/viewer.py" line="62"/>
        <source>This image does not say how it was made.</source>
        <translation>Esta imagem não diz como foi feita.</translation>
    </message>
</context>
<context>
    <name>InstalledPane</name>
    <message>
        <location filename="../../pages/installed_pane.py" line="52"/>
        <source>Import a file…</source>
        <translation>Importar um arquivo…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="54"/>
        <source>Scan a folder…</source>
        <translation>Examinar uma pasta…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="56"/>
        <source>Find other apps&apos; models</source>
        <translation>Achar modelos de outros apps</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="57"/>
        <source>Link the models of LM Studio, GPT4All, Jan, Ollama and the Hugging Face cache, without copying them</source>
        <translation>Vincula os modelos do LM Studio, GPT4All, Jan, Ollama e do cache do Hugging Face, sem copiá-los</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="60"/>
        <source>Add remote…</source>
        <translation>Adicionar remoto…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="61"/>
        <source>Use the models of a server on another computer (llama-server, Ollama, vLLM, LM Studio, another Candeia)</source>
        <translation>Use os modelos de um servidor em outro computador (llama-server, Ollama, vLLM, LM Studio, outro Candeia)</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="69"/>
        <source>Verify</source>
        <translation>Verificar</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="71"/>
        <source>Set as default</source>
        <translation>Usar como padrão</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="72"/>
        <source>Use this model for new conversations of its task</source>
        <translation>Usar este modelo nas novas conversas da sua tarefa</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="74"/>
        <source>Show in folder</source>
        <translation>Mostrar na pasta</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="76"/>
        <source>Refresh models</source>
        <translation>Atualizar modelos</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="77"/>
        <source>Ask that computer again which models it serves</source>
        <translation>Perguntar de novo àquele computador quais modelos ele oferece</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="79"/>
        <source>Delete</source>
        <translation>Excluir</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="87"/>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="87"/>
        <source>Tasks</source>
        <translation>Tarefas</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="87"/>
        <source>Size</source>
        <translation>Tamanho</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="87"/>
        <source>Where</source>
        <translation>Onde</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="87"/>
        <source>Default for</source>
        <translation>Padrão para</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="88"/>
        <source>Installed models</source>
        <translation>Modelos instalados</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="105"/>
        <source>No models yet. Import a GGUF file or scan a folder that holds some.</source>
        <translation>Ainda não há modelos. Importe um arquivo GGUF ou examine uma pasta que tenha alguns.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="127"/>
        <source>Runs on {url}</source>
        <translation>Roda em {url}</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="138"/>
        <source>runs on another computer</source>
        <translation>roda em outro computador</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="139"/>
        <source>linked in place</source>
        <translation>no lugar original</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="139"/>
        <source>in Candeia&apos;s folder</source>
        <translation>na pasta do Candeia</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="162"/>
        <source>Import a model file</source>
        <translation>Importar um arquivo de modelo</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="163"/>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>Modelos GGUF (*.gguf);;Todos os arquivos (*)</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="168"/>
        <source>Checking {name}…</source>
        <translation>Verificando {name}…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="170"/>
        <source>Added {name}.</source>
        <translation>{name} adicionado.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="171"/>
        <source>Could not add the file: {error}</source>
        <translation>Não foi possível adicionar o arquivo: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="175"/>
        <source>Scan a folder for models</source>
        <translation>Examinar uma pasta em busca de modelos</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="181"/>
        <source>Scanning {folder}…</source>
        <translation>Examinando {folder}…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="184"/>
        <source>Found {added} new models; skipped {skipped}.</source>
        <translation>{added} modelos novos encontrados; {skipped} ignorados.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="186"/>
        <source>The scan failed: {error}</source>
        <translation>O exame falhou: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="191"/>
        <source>No other app&apos;s model folder was found on this computer.</source>
        <translation>Nenhuma pasta de modelos de outro app foi encontrada neste computador.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="199"/>
        <source>Verifying {name}…</source>
        <translation>Verificando {name}…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="202"/>
        <source>{name} is intact (checksum verified).</source>
        <translation>{name} está íntegro (checksum conferido).</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="203"/>
        <source>{name}: checksum recorded; later checks compare against it.</source>
        <translation>{name}: checksum registrado; as próximas verificações comparam com ele.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="204"/>
        <source>{name} failed verification: {error}</source>
        <translation>{name} falhou na verificação: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="225"/>
        <source>Added {name}; its models run on that computer.</source>
        <translation>{name} adicionado; seus modelos rodam naquele computador.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="235"/>
        <source>Asking {name} for its models…</source>
        <translation>Perguntando a {name} quais são os modelos…</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="245"/>
        <source>new: {models}</source>
        <translation>novos: {models}</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="247"/>
        <source>no longer served: {models}</source>
        <translation>não oferecidos mais: {models}</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="249"/>
        <source>{name}: {changes}.</source>
        <translation>{name}: {changes}.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="251"/>
        <source>{name} serves the same models as before.</source>
        <translation>{name} oferece os mesmos modelos de antes.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="256"/>
        <source>Remove the server {name} and all of its models from Candeia? Nothing changes on that computer.</source>
        <translation>Remover o servidor {name} e todos os seus modelos do Candeia? Nada muda naquele computador.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="258"/>
        <source>Remove server</source>
        <translation>Remover servidor</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="274"/>
        <source>Remove {name} from Candeia? The file stays where it is.</source>
        <translation>Remover {name} do Candeia? O arquivo continua onde está.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="275"/>
        <source>Delete {name}? Its files are removed from Candeia&apos;s folder.</source>
        <translation>Excluir {name}? Os arquivos dele são apagados da pasta do Candeia.</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="276"/>
        <source>Delete model</source>
        <translation>Excluir modelo</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="263"/>
        <location filename="../../pages/installed_pane.py" line="282"/>
        <source>Removed {name}.</source>
        <translation>{name} removido.</translation>
    </message>
</context>
<context>
    <name>KnowledgeBasePicker</name>
    <message>
        <location filename="../../pages/chat/grounding.py" line="36"/>
        <source>Use knowledge base</source>
        <translation>Usar base de conhecimento</translation>
    </message>
    <message>
        <location filename="../../pages/chat/grounding.py" line="37"/>
        <source>Answer from a knowledge base&apos;s documents, with numbered sources</source>
        <translation>Responder a partir dos documentos de uma base de conhecimento, com fontes numeradas</translation>
    </message>
    <message>
        <location filename="../../pages/chat/grounding.py" line="44"/>
        <source>No knowledge base</source>
        <translation>Sem base de conhecimento</translation>
    </message>
    <message>
        <location filename="../../pages/chat/grounding.py" line="46"/>
        <source>Use {name}</source>
        <translation>Usar {name}</translation>
    </message>
</context>
<context>
    <name>LabelChart</name>
    <message>
        <location filename="../../pages/analyze/chart.py" line="29"/>
        <source>Label distribution</source>
        <translation>Distribuição dos rótulos</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/chart.py" line="35"/>
        <source>Labels counted: {count}</source>
        <translation>Rótulos contados: {count}</translation>
    </message>
</context>
<context>
    <name>LanguageBar</name>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="22"/>
        <source>Source language</source>
        <translation>Idioma de origem</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="23"/>
        <source>The language of the text (Detect language: guess it from the text)</source>
        <translation>O idioma do texto (Detectar idioma: descobrir pelo texto)</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="28"/>
        <source>Swap languages (Ctrl+Shift+S)</source>
        <translation>Inverter idiomas (Ctrl+Shift+S)</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="29"/>
        <source>Swap languages</source>
        <translation>Inverter idiomas</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="32"/>
        <source>Target language</source>
        <translation>Idioma de destino</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="32"/>
        <source>The language to translate into</source>
        <translation>O idioma para o qual traduzir</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="35"/>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="40"/>
        <source>Translation model</source>
        <translation>Modelo de tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="41"/>
        <source>Automatic picks an installed translation model for the pair, through English when it must; a chat model translates too</source>
        <translation>Automático escolhe um modelo de tradução instalado para o par, passando pelo inglês quando necessário; um modelo de chat também traduz</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="63"/>
        <source>Automatic</source>
        <translation>Automático</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="67"/>
        <source>{model} (chat model)</source>
        <translation>{model} (modelo de chat)</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="90"/>
        <location filename="../../pages/translate/language_bar.py" line="127"/>
        <source>Detect language</source>
        <translation>Detectar idioma</translation>
    </message>
    <message>
        <location filename="../../pages/translate/language_bar.py" line="126"/>
        <source>Detect language: {language}</source>
        <translation>Detectar idioma: {language}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../main_window.py" line="72"/>
        <source>Candeia</source>
        <translation>Candeia</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="123"/>
        <source>Pages</source>
        <translation>Páginas</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="88"/>
        <source>Chat</source>
        <translation>Conversa</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="89"/>
        <source>Documents</source>
        <translation>Documentos</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="90"/>
        <source>Translate</source>
        <translation>Traduzir</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="91"/>
        <source>Caption</source>
        <translation>Legendar</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="92"/>
        <source>Create</source>
        <translation>Criar</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="93"/>
        <source>Analyze</source>
        <translation>Analisar</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="94"/>
        <source>Models</source>
        <translation>Modelos</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="95"/>
        <source>Settings</source>
        <translation>Configurações</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="101"/>
        <source>{page} (Ctrl+{number})</source>
        <translation>{page} (Ctrl+{number})</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="134"/>
        <location filename="../../main_window.py" line="156"/>
        <location filename="../../main_window.py" line="176"/>
        <source>No model loaded</source>
        <translation>Nenhum modelo carregado</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="142"/>
        <source>Active model</source>
        <translation>Modelo ativo</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="142"/>
        <source>Device</source>
        <translation>Dispositivo</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="143"/>
        <source>Device of the translation and captioning models</source>
        <translation>Dispositivo dos modelos de tradução e de legendagem</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="144"/>
        <source>Last speed</source>
        <translation>Última velocidade</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="144"/>
        <source>Memory in use</source>
        <translation>Memória em uso</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="149"/>
        <source>Local server</source>
        <translation>Servidor local</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="154"/>
        <source>Loading {model}…</source>
        <translation>Carregando {model}…</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="172"/>
        <source>{tokens} tokens of context</source>
        <translation>{tokens} tokens de contexto</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="188"/>
        <source>Translation: {device}</source>
        <translation>Tradução: {device}</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="188"/>
        <source>Captioning: {device}</source>
        <translation>Legendagem: {device}</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="201"/>
        <source>{provider} could not start; {model} runs on the CPU.</source>
        <translation>Não foi possível iniciar {provider}; {model} roda na CPU.</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="205"/>
        <source>{speed:.1f} tokens/s</source>
        <translation>{speed:.1f} tokens/s</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="211"/>
        <source>{mb:.0f} MB in use</source>
        <translation>{mb:.0f} MB em uso</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="296"/>
        <source>Moving Candeia&apos;s data…</source>
        <translation>Movendo os dados do Candeia…</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="296"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="297"/>
        <source>Moving the data folder</source>
        <translation>Movendo a pasta de dados</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="313"/>
        <source>The move was cancelled.</source>
        <translation>A mudança foi cancelada.</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="315"/>
        <source>The data folder was not moved</source>
        <translation>A pasta de dados não foi movida</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="316"/>
        <source>{error}
Nothing was lost: Candeia keeps using {folder}.</source>
        <translation>{error}
Nada foi perdido: o Candeia continua usando {folder}.</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="334"/>
        <source>Server on (network)</source>
        <translation>Servidor ligado (rede)</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="335"/>
        <source>Other computers on your network can reach {url}</source>
        <translation>Outros computadores da sua rede podem acessar {url}</translation>
    </message>
    <message>
        <location filename="../../main_window.py" line="338"/>
        <source>Server on</source>
        <translation>Servidor ligado</translation>
    </message>
</context>
<context>
    <name>MessageView</name>
    <message>
        <location filename="../../pages/chat/message_view.py" line="321"/>
        <source>Messages</source>
        <translation>Mensagens</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <location filename="../../pages/chat/message_view.py" line="174"/>
        <source>You</source>
        <translation>Você</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="174"/>
        <source>Assistant</source>
        <translation>Assistente</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="178"/>
        <source>Edit and resend</source>
        <translation>Editar e reenviar</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="179"/>
        <source>Regenerate reply</source>
        <translation>Gerar a resposta de novo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="180"/>
        <source>Copy message</source>
        <translation>Copiar mensagem</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="198"/>
        <source>Retry</source>
        <translation>Tentar de novo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="199"/>
        <source>Retry the reply</source>
        <translation>Tentar a resposta de novo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="168"/>
        <source>Your message</source>
        <translation>Sua mensagem</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="168"/>
        <source>Assistant&apos;s reply</source>
        <translation>Resposta do assistente</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="277"/>
        <source>{tokens} tokens · {speed:.1f} tokens/s · first token {ttft:.0f} ms</source>
        <translation>{tokens} tokens · {speed:.1f} tokens/s · primeiro token em {ttft:.0f} ms</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="282"/>
        <source>Interrupted: {cause}</source>
        <translation>Interrompida: {cause}</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="284"/>
        <source>stopped</source>
        <translation>interrompida</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="286"/>
        <source>cut at the length limit</source>
        <translation>cortada no limite de tamanho</translation>
    </message>
    <message>
        <location filename="../../pages/chat/message_view.py" line="289"/>
        <source>Prompt: {prompt} tokens ({evaluated} evaluated, {pspeed:.0f} tokens/s)
Total time: {total:.0f} ms</source>
        <translation>Prompt: {prompt} tokens ({evaluated} processados, {pspeed:.0f} tokens/s)
Tempo total: {total:.0f} ms</translation>
    </message>
</context>
<context>
    <name>ModelSession</name>
    <message>
        <location filename="../../session.py" line="52"/>
        <source>The model process crashed ({cause}).</source>
        <translation>O processo do modelo travou ({cause}).</translation>
    </message>
    <message>
        <location filename="../../session.py" line="54"/>
        <source>The model process ran out of memory.</source>
        <translation>O processo do modelo ficou sem memória.</translation>
    </message>
    <message>
        <location filename="../../session.py" line="56"/>
        <source>The model process was killed ({cause}); the computer may have run out of memory.</source>
        <translation>O processo do modelo foi encerrado à força ({cause}); o computador pode ter ficado sem memória.</translation>
    </message>
    <message>
        <location filename="../../session.py" line="60"/>
        <source>The connection to {server} was lost mid-reply ({cause}); what arrived is kept.</source>
        <translation>A conexão com {server} caiu no meio da resposta ({cause}); o que chegou foi mantido.</translation>
    </message>
    <message>
        <location filename="../../session.py" line="64"/>
        <source>The model process stopped responding and was ended.</source>
        <translation>O processo do modelo parou de responder e foi encerrado.</translation>
    </message>
    <message>
        <location filename="../../session.py" line="65"/>
        <source>The model process ended unexpectedly ({cause}).</source>
        <translation>O processo do modelo terminou inesperadamente ({cause}).</translation>
    </message>
    <message>
        <location filename="../../session.py" line="72"/>
        <source>on {server}</source>
        <translation>em {server}</translation>
    </message>
    <message>
        <location filename="../../session.py" line="79"/>
        <source>Candeia now loads it without repacked CPU weights and on the CPU only.</source>
        <translation>O Candeia agora o carrega sem os pesos reorganizados para a CPU e só na CPU.</translation>
    </message>
    <message>
        <location filename="../../session.py" line="82"/>
        <source>Candeia now loads it without llama.cpp&apos;s repacked CPU weights.</source>
        <translation>O Candeia agora o carrega sem os pesos reorganizados para a CPU do llama.cpp.</translation>
    </message>
    <message>
        <location filename="../../session.py" line="84"/>
        <source>{file} crashed llama.cpp ({cause}) with its default settings on this computer.</source>
        <translation>{file} derrubou o llama.cpp ({cause}) com as configurações padrão neste computador.</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <location filename="../../pages/models.py" line="183"/>
        <source>Models</source>
        <translation>Modelos</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="187"/>
        <source>Installed</source>
        <translation>Instalados</translation>
    </message>
    <message>
        <location filename="../../pages/models.py" line="188"/>
        <source>Catalog</source>
        <translation>Catálogo</translation>
    </message>
</context>
<context>
    <name>NewKnowledgeBaseDialog</name>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="17"/>
        <source>Give the knowledge base a name.</source>
        <translation>Dê um nome à base de conhecimento.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="19"/>
        <source>Use letters, digits, spaces, dots, dashes or underscores (up to 64).</source>
        <translation>Use letras, dígitos, espaços, pontos, hífens ou sublinhados (até 64).</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="22"/>
        <source>A knowledge base with this name exists already.</source>
        <translation>Já existe uma base de conhecimento com este nome.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="30"/>
        <source>New knowledge base</source>
        <translation>Nova base de conhecimento</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="34"/>
        <location filename="../../pages/documents/new_kb_dialog.py" line="36"/>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="35"/>
        <source>for example: Manuals</source>
        <translation>por exemplo: Manuais</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="38"/>
        <location filename="../../pages/documents/new_kb_dialog.py" line="42"/>
        <source>Embedding model</source>
        <translation>Modelo de embeddings</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="39"/>
        <source>Automatic (a multilingual model first)</source>
        <translation>Automático (um modelo multilíngue primeiro)</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="43"/>
        <source>The embedding model turns passages into vectors; it cannot be changed later. A multilingual model lets you ask in Portuguese about English documents and the reverse.</source>
        <translation>O modelo de embeddings transforma os trechos em vetores; não pode ser trocado depois. Um modelo multilíngue permite perguntar em português sobre documentos em inglês e o contrário.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/new_kb_dialog.py" line="55"/>
        <source>Create</source>
        <translation>Criar</translation>
    </message>
</context>
<context>
    <name>Panes</name>
    <message>
        <location filename="../../pages/translate/panes.py" line="55"/>
        <source>Type or paste text, or open a file (Ctrl+O). Ctrl+Enter translates.</source>
        <translation>Digite ou cole um texto, ou abra um arquivo (Ctrl+O). Ctrl+Enter traduz.</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="57"/>
        <source>Text to translate</source>
        <translation>Texto a traduzir</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="63"/>
        <source>Detected language</source>
        <translation>Idioma detectado</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="68"/>
        <source>Document format</source>
        <translation>Formato do documento</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="69"/>
        <source>How the text is read: Markdown and subtitles keep their structure</source>
        <translation>Como o texto é lido: Markdown e legendas mantêm sua estrutura</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="70"/>
        <source>Plain text</source>
        <translation>Texto simples</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="70"/>
        <source>Markdown</source>
        <translation>Markdown</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="70"/>
        <source>SRT subtitles</source>
        <translation>Legendas SRT</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="71"/>
        <source>WebVTT subtitles</source>
        <translation>Legendas WebVTT</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="74"/>
        <source>Clear the text</source>
        <translation>Limpar o texto</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="83"/>
        <location filename="../../pages/translate/panes.py" line="84"/>
        <source>Translation</source>
        <translation>Tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="91"/>
        <source>Model used and time taken</source>
        <translation>Modelo usado e tempo gasto</translation>
    </message>
    <message>
        <location filename="../../pages/translate/panes.py" line="93"/>
        <source>Copy the translation (Ctrl+Shift+C)</source>
        <translation>Copiar a tradução (Ctrl+Shift+C)</translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message>
        <location filename="../../pages/analyze/results_model.py" line="25"/>
        <source>Text</source>
        <translation>Texto</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/results_model.py" line="25"/>
        <source>Result</source>
        <translation>Resultado</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/results_model.py" line="25"/>
        <source>Score</source>
        <translation>Pontuação</translation>
    </message>
    <message>
        <location filename="../../pages/analyze/results_model.py" line="25"/>
        <source>Note</source>
        <translation>Observação</translation>
    </message>
</context>
<context>
    <name>SamplingPanel</name>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="53"/>
        <source>Sampling</source>
        <translation>Amostragem</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="63"/>
        <source>unlimited</source>
        <translation>sem limite</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="67"/>
        <source>random</source>
        <translation>aleatória</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="69"/>
        <source>Temperature</source>
        <translation>Temperatura</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="70"/>
        <source>Higher is more varied; 0 always picks the likeliest word.</source>
        <translation>Mais alta varia mais; 0 sempre escolhe a palavra mais provável.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="71"/>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="72"/>
        <source>Sample only from the most likely words that add up to this share.</source>
        <translation>Sortear só entre as palavras mais prováveis que somam esta fração.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="73"/>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="73"/>
        <source>Sample only from this many likeliest words (0: no limit).</source>
        <translation>Sortear só entre estas tantas palavras mais prováveis (0: sem limite).</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="74"/>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="74"/>
        <source>Drop words far less likely than the best one.</source>
        <translation>Descartar palavras muito menos prováveis que a melhor.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="75"/>
        <source>Repeat penalty</source>
        <translation>Penalidade de repetição</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="75"/>
        <source>Above 1 discourages repeating words.</source>
        <translation>Acima de 1 desencoraja repetir palavras.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="76"/>
        <source>Max tokens</source>
        <translation>Máximo de tokens</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="76"/>
        <source>The longest reply, in tokens.</source>
        <translation>A resposta mais longa, em tokens.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="77"/>
        <source>Context size</source>
        <translation>Tamanho do contexto</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="78"/>
        <source>How many tokens the model sees at once; changing it reloads the model.</source>
        <translation>Quantos tokens o modelo vê de uma vez; mudar isso recarrega o modelo.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="79"/>
        <source>Seed</source>
        <translation>Semente</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="79"/>
        <source>The same seed gives the same reply (random: a new one each time).</source>
        <translation>A mesma semente dá a mesma resposta (aleatória: uma nova a cada vez).</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="86"/>
        <source>Model defaults</source>
        <translation>Padrões do modelo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/sampling_panel.py" line="87"/>
        <source>Use the values the model&apos;s card recommends</source>
        <translation>Usar os valores recomendados na ficha do modelo</translation>
    </message>
</context>
<context>
    <name>ServerSection</name>
    <message>
        <location filename="../../pages/server_settings.py" line="13"/>
        <source>Local server</source>
        <translation>Servidor local</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="17"/>
        <source>Serve models to other programs (OpenAI-compatible API)</source>
        <translation>Servir modelos para outros programas (API compatível com a OpenAI)</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="18"/>
        <source>Editors, scripts and other apps on this computer can use your installed models. Every request needs the token below.</source>
        <translation>Editores, scripts e outros aplicativos deste computador podem usar seus modelos instalados. Cada pedido precisa do token abaixo.</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="21"/>
        <source>Allow other computers on the network</source>
        <translation>Permitir outros computadores da rede</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="23"/>
        <source>Anyone on your network who has the token can use your models. Turn this on only on a network you trust.</source>
        <translation>Qualquer pessoa na sua rede que tenha o token pode usar seus modelos. Ative isto só numa rede em que você confia.</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="31"/>
        <location filename="../../pages/server_settings.py" line="32"/>
        <source>Port</source>
        <translation>Porta</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="35"/>
        <location filename="../../pages/server_settings.py" line="36"/>
        <source>Address</source>
        <translation>Endereço</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="39"/>
        <location filename="../../pages/server_settings.py" line="40"/>
        <source>Token</source>
        <translation>Token</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="71"/>
        <source>The server could not start: {error}</source>
        <translation>O servidor não pôde iniciar: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="73"/>
        <source>Running. Point an OpenAI client at the address, with the token as its API key.</source>
        <translation>Em execução. Aponte um cliente da OpenAI para o endereço, com o token como chave de API.</translation>
    </message>
    <message>
        <location filename="../../pages/server_settings.py" line="76"/>
        <source>Off.</source>
        <translation>Desligado.</translation>
    </message>
</context>
<context>
    <name>SettingsForm</name>
    <message>
        <location filename="../../pages/create/form.py" line="55"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="56"/>
        <source>Describe the image: a lighthouse at dusk, oil painting…</source>
        <translation>Descreva a imagem: um farol ao entardecer, pintura a óleo…</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="58"/>
        <source>&amp;Prompt:</source>
        <translation>&amp;Prompt:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="60"/>
        <source>Negative prompt</source>
        <translation>Prompt negativo</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="61"/>
        <source>What the image should not have (optional)</source>
        <translation>O que a imagem não deve ter (opcional)</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="63"/>
        <source>&amp;Negative:</source>
        <translation>&amp;Negativo:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="64"/>
        <source>Si&amp;ze:</source>
        <translation>&amp;Tamanho:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="65"/>
        <source>Steps</source>
        <translation>Passos</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="66"/>
        <source>S&amp;teps:</source>
        <translation>Pa&amp;ssos:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="71"/>
        <source>Guidance (CFG scale)</source>
        <translation>Orientação (escala CFG)</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="72"/>
        <source>&amp;Guidance:</source>
        <translation>&amp;Orientação:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="74"/>
        <source>Sampler</source>
        <translation>Amostrador</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="77"/>
        <source>Sa&amp;mpler:</source>
        <translation>A&amp;mostrador:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="78"/>
        <source>S&amp;eed:</source>
        <translation>S&amp;emente:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="79"/>
        <source>Number of images</source>
        <translation>Número de imagens</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="80"/>
        <source>&amp;Images:</source>
        <translation>&amp;Imagens:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="81"/>
        <source>&amp;From image:</source>
        <translation>&amp;A partir da imagem:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="82"/>
        <source>St&amp;rength:</source>
        <translation>Intensi&amp;dade:</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="93"/>
        <source>Width in pixels</source>
        <translation>Largura em pixels</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="94"/>
        <source>Height in pixels</source>
        <translation>Altura em pixels</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="105"/>
        <source>Seed</source>
        <translation>Semente</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="106"/>
        <source>Random</source>
        <translation>Aleatória</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="108"/>
        <source>The same seed, settings and model make the same image; empty picks one.</source>
        <translation>A mesma semente, configurações e modelo fazem a mesma imagem; vazia sorteia uma.</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="112"/>
        <location filename="../../pages/create/form.py" line="113"/>
        <source>Pick a random seed</source>
        <translation>Sortear uma semente</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="122"/>
        <source>Image to start from</source>
        <translation>Imagem de partida</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="123"/>
        <source>None: make an image from the prompt alone</source>
        <translation>Nenhuma: fazer a imagem só a partir do prompt</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="126"/>
        <source>Choose…</source>
        <translation>Escolher…</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="132"/>
        <source>Strength: how far from the image to go</source>
        <translation>Intensidade: quanto se afastar da imagem</translation>
    </message>
    <message>
        <location filename="../../pages/create/form.py" line="133"/>
        <source>0 keeps the image, 1 ignores it</source>
        <translation>0 mantém a imagem, 1 a ignora</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../../pages/settings.py" line="66"/>
        <source>Settings</source>
        <translation>Configurações</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="77"/>
        <source>Performance</source>
        <translation>Desempenho</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="81"/>
        <source>CPU threads for generation; about one per physical core is fastest.</source>
        <translation>Threads de CPU para a geração; cerca de uma por núcleo físico é o mais rápido.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="82"/>
        <source>CPU threads</source>
        <translation>Threads de CPU</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="85"/>
        <source>all layers</source>
        <translation>todas as camadas</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="87"/>
        <source>Layers to run on the GPU (0: CPU only). Applies to the next model load.</source>
        <translation>Camadas a rodar na GPU (0: só CPU). Vale a partir do próximo carregamento.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="88"/>
        <source>GPU layers</source>
        <translation>Camadas na GPU</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="90"/>
        <source>Automatic</source>
        <translation>Automático</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="97"/>
        <source>The ONNX Runtime device for translation and captioning models.</source>
        <translation>O dispositivo do ONNX Runtime para os modelos de tradução e de legendas.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="99"/>
        <location filename="../../pages/settings.py" line="100"/>
        <source>ONNX Runtime device</source>
        <translation>Dispositivo do ONNX Runtime</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="106"/>
        <source>Tokens a chat model sees at once, unless a conversation sets its own.</source>
        <translation>Tokens que um modelo de conversa vê de uma vez, a menos que a conversa defina outro valor.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="107"/>
        <source>Default context size</source>
        <translation>Tamanho padrão do contexto</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="112"/>
        <source>Privacy and network</source>
        <translation>Privacidade e rede</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="113"/>
        <source>Offline mode: never open a network connection</source>
        <translation>Modo offline: nunca abrir uma conexão de rede</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="119"/>
        <source>A Hugging Face mirror to download from (like HF_ENDPOINT).</source>
        <translation>Um espelho do Hugging Face de onde baixar (como HF_ENDPOINT).</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="120"/>
        <location filename="../../pages/settings.py" line="123"/>
        <source>Download server</source>
        <translation>Servidor de download</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="130"/>
        <source>Only if the server needs one</source>
        <translation>Só se o servidor exigir um</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="131"/>
        <source>Sent to this download server only: never to another server, not even across a redirect. For huggingface.co, HF_TOKEN or &apos;hf auth login&apos; work too.</source>
        <translation>Enviado somente a este servidor de download: nunca a outro servidor, nem mesmo num redirecionamento. Para o huggingface.co, HF_TOKEN ou &apos;hf auth login&apos; também funcionam.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="133"/>
        <source>Access token for the download server</source>
        <translation>Token de acesso do servidor de download</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="136"/>
        <source>Access token</source>
        <translation>Token de acesso</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="141"/>
        <source>Appearance</source>
        <translation>Aparência</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="143"/>
        <location filename="../../pages/settings.py" line="150"/>
        <source>Theme</source>
        <translation>Tema</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="144"/>
        <source>Follow the system</source>
        <translation>Seguir o sistema</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="144"/>
        <source>Light</source>
        <translation>Claro</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="145"/>
        <source>Dark</source>
        <translation>Escuro</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="152"/>
        <location filename="../../pages/settings.py" line="158"/>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="159"/>
        <source>The new language applies the next time Candeia starts.</source>
        <translation>O novo idioma vale a partir da próxima vez que o Candeia abrir.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="166"/>
        <location filename="../../pages/settings.py" line="171"/>
        <source>Data folder</source>
        <translation>Pasta de dados</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="173"/>
        <source>Open</source>
        <translation>Abrir</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="176"/>
        <source>Move…</source>
        <translation>Mover…</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="177"/>
        <source>Move the data folder</source>
        <translation>Mover a pasta de dados</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="182"/>
        <source>Location</source>
        <translation>Local</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="183"/>
        <source>Downloaded and copied models, chat history and settings live here. Moving it takes them along; models linked in place stay where they are.</source>
        <translation>Modelos baixados e copiados, o histórico das conversas e as configurações ficam aqui. Ao mover a pasta, tudo isso vai junto; modelos vinculados no lugar continuam onde estão.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="191"/>
        <source>Choose a new, empty folder for Candeia&apos;s data</source>
        <translation>Escolha uma pasta nova e vazia para os dados do Candeia</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="197"/>
        <source>Cannot move the data folder</source>
        <translation>Não é possível mover a pasta de dados</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="201"/>
        <source>Move the data folder?</source>
        <translation>Mover a pasta de dados?</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="202"/>
        <source>Candeia stops the current reply and any downloads, moves its data to {folder}, then restarts.</source>
        <translation>O Candeia interrompe a resposta atual e os downloads, move os dados para {folder} e reinicia.</translation>
    </message>
    <message>
        <location filename="../../pages/settings.py" line="243"/>
        <source>Enter a web address starting with https://</source>
        <translation>Digite um endereço web que comece com https://</translation>
    </message>
</context>
<context>
    <name>SingleView</name>
    <message>
        <location filename="../../pages/caption/single_view.py" line="22"/>
        <source>Open image…</source>
        <translation>Abrir imagem…</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="23"/>
        <source>Open an image file</source>
        <translation>Abrir um arquivo de imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="26"/>
        <source>Paste</source>
        <translation>Colar</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="27"/>
        <source>Paste an image from the clipboard</source>
        <translation>Colar uma imagem da área de transferência</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="28"/>
        <source>Paste an image or an image file (Ctrl+V)</source>
        <translation>Colar uma imagem ou um arquivo de imagem (Ctrl+V)</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="39"/>
        <source>Current image</source>
        <translation>Imagem atual</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="44"/>
        <source>Caption text</source>
        <translation>Texto da legenda</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="45"/>
        <source>The caption appears here.</source>
        <translation>A legenda aparece aqui.</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="50"/>
        <source>Caption error</source>
        <translation>Erro na legenda</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="54"/>
        <source>Caption</source>
        <translation>Legendar</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="56"/>
        <source>Caption the image</source>
        <translation>Legendar a imagem</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="59"/>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <location filename="../../pages/caption/single_view.py" line="60"/>
        <source>Copy the caption</source>
        <translation>Copiar a legenda</translation>
    </message>
</context>
<context>
    <name>SourcesView</name>
    <message>
        <location filename="../../pages/chat/grounding.py" line="61"/>
        <location filename="../../pages/documents/sources_view.py" line="30"/>
        <source>Sources</source>
        <translation>Fontes</translation>
    </message>
    <message>
        <location filename="../../pages/documents/sources_view.py" line="46"/>
        <source>Open source {number}</source>
        <translation>Abrir a fonte {number}</translation>
    </message>
</context>
<context>
    <name>TranslatePage</name>
    <message>
        <location filename="../../pages/translate/page.py" line="57"/>
        <source>Translation message</source>
        <translation>Mensagem da tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="334"/>
        <source>Open a file to translate</source>
        <translation>Abrir um arquivo para traduzir</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="378"/>
        <source>Save the translation</source>
        <translation>Salvar a tradução</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="171"/>
        <source>No translation model is installed. Get one (such as OPUS-MT or NLLB) on the &lt;a href=&quot;models&quot;&gt;Models page&lt;/a&gt;, or install a chat model to translate with it.</source>
        <translation>Nenhum modelo de tradução está instalado. Obtenha um (como OPUS-MT ou NLLB) na &lt;a href=&quot;models&quot;&gt;página Modelos&lt;/a&gt;, ou instale um modelo de chat para traduzir com ele.</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="175"/>
        <source>No translation model is installed: translating with a chat model. Translation models (such as OPUS-MT) are faster; get one on the &lt;a href=&quot;models&quot;&gt;Models page&lt;/a&gt;.</source>
        <translation>Nenhum modelo de tradução está instalado: traduzindo com um modelo de chat. Modelos de tradução (como OPUS-MT) são mais rápidos; obtenha um na &lt;a href=&quot;models&quot;&gt;página Modelos&lt;/a&gt;.</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="184"/>
        <source>&lt;a href=&quot;models&quot;&gt;Open the Models page&lt;/a&gt;</source>
        <translation>&lt;a href=&quot;models&quot;&gt;Abrir a página Modelos&lt;/a&gt;</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="273"/>
        <source>Translating…</source>
        <translation>Traduzindo…</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="296"/>
        <source>Detected: {language} · {confidence:.0%} sure</source>
        <translation>Detectado: {language} · {confidence:.0%} de certeza</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="309"/>
        <source>{models} · {route} · {count} sentences in {seconds} s</source>
        <translation>{models} · {route} · {count} frases em {seconds} s</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="316"/>
        <source>Translation cancelled</source>
        <translation>Tradução cancelada</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="333"/>
        <source>Text and subtitles (*.txt *.md *.markdown *.srt *.vtt);;All files (*)</source>
        <translation>Textos e legendas (*.txt *.md *.markdown *.srt *.vtt);;Todos os arquivos (*)</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="343"/>
        <source>{name} is too large to translate here ({mb:.0f} MB); use candeia-cli translate for it</source>
        <translation>{name} é grande demais para traduzir aqui ({mb:.0f} MB); use candeia-cli translate para ele</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="348"/>
        <source>Cannot read {name}: {error}</source>
        <translation>Não foi possível ler {name}: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="386"/>
        <source>Cannot save {name}: {error}</source>
        <translation>Não foi possível salvar {name}: {error}</translation>
    </message>
    <message>
        <location filename="../../pages/translate/page.py" line="389"/>
        <source>Saved {name}</source>
        <translation>{name} salvo</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <location filename="../../pages/welcome.py" line="27"/>
        <source>Welcome to Candeia</source>
        <translation>Boas-vindas ao Candeia</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="30"/>
        <source>Chat, translate and caption images with AI models that run entirely on this computer. Nothing you type leaves it: after a model is downloaded, Candeia works offline.</source>
        <translation>Converse, traduza e legende imagens com modelos de IA que rodam inteiramente neste computador. Nada do que você digita sai dele: depois de baixar um modelo, o Candeia funciona offline.</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="53"/>
        <source>A good first model</source>
        <translation>Um bom primeiro modelo</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="102"/>
        <source>{params} parameters</source>
        <translation>{params} parâmetros</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="104"/>
        <source>{size} download</source>
        <translation>download de {size}</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="105"/>
        <source>licence: {licence}</source>
        <translation>licença: {licence}</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="109"/>
        <source>Fits this computer: about {needed} of memory, {available} free</source>
        <translation>Cabe neste computador: cerca de {needed} de memória, {available} livres</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="115"/>
        <source>Offline mode is on (Settings)</source>
        <translation>O modo offline está ligado (Configurações)</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="60"/>
        <source>Download this model</source>
        <translation>Baixar este modelo</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="62"/>
        <source>Download the recommended model</source>
        <translation>Baixar o modelo recomendado</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="66"/>
        <source>Browse the catalog</source>
        <translation>Ver o catálogo</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="76"/>
        <source>Already have models?</source>
        <translation>Já tem modelos?</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="78"/>
        <source>Use GGUF files you already have (from LM Studio, GPT4All, Ollama or a download). They stay where they are; Candeia only remembers where to find them.</source>
        <translation>Use arquivos GGUF que você já tem (do LM Studio, GPT4All, Ollama ou de um download). Eles ficam onde estão; o Candeia só lembra onde encontrá-los.</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="83"/>
        <source>Import a model file…</source>
        <translation>Importar um arquivo de modelo…</translation>
    </message>
    <message>
        <location filename="../../pages/welcome.py" line="85"/>
        <source>Scan a folder…</source>
        <translation>Examinar uma pasta…</translation>
    </message>
</context>
<context>
    <name>citations</name>
    <message>
        <location filename="../../pages/documents/citations.py" line="32"/>
        <source>page {page}</source>
        <translation>página {page}</translation>
    </message>
    <message>
        <location filename="../../pages/documents/citations.py" line="48"/>
        <source>{file} is no longer there; re-scan the knowledge base.</source>
        <translation>{file} não está mais lá; reexamine a base de conhecimento.</translation>
    </message>
    <message>
        <location filename="../../pages/documents/citations.py" line="51"/>
        <source>No application opens {file}.</source>
        <translation>Nenhum aplicativo abre {file}.</translation>
    </message>
</context>
<context>
    <name>format</name>
    <message>
        <location filename="../../pages/common.py" line="22"/>
        <source>unknown size</source>
        <translation>tamanho desconhecido</translation>
    </message>
</context>
<context>
    <name>i18n</name>
    <message>
        <location filename="../../i18n.py" line="21"/>
        <source>System language</source>
        <translation>Idioma do sistema</translation>
    </message>
</context>
<context>
    <name>licence</name>
    <message>
        <location filename="../../pages/licence.py" line="17"/>
        <source>Commercial use allowed</source>
        <translation>Uso comercial permitido</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="18"/>
        <source>Non-commercial only</source>
        <translation>Somente uso não comercial</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="19"/>
        <source>Commercial use with conditions</source>
        <translation>Uso comercial com condições</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="23"/>
        <source>Gated: needs a hub token</source>
        <translation>Restrito: exige um token do hub</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="29"/>
        <source>Read the terms</source>
        <translation>Ler os termos</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="33"/>
        <source>Credit required: {text}</source>
        <translation>Crédito obrigatório: {text}</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="44"/>
        <source>{name} may only be used for non-commercial purposes.</source>
        <translation>{name} só pode ser usado para fins não comerciais.</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="46"/>
        <source>{name} is distributed under terms you must accept.</source>
        <translation>{name} é distribuído sob termos que você precisa aceitar.</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="49"/>
        <source>The hub also asks you to sign in with a token and accept the terms on its page.</source>
        <translation>O hub também pede que você entre com um token e aceite os termos na página dele.</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="52"/>
        <source>Do you accept these terms and want to download it?</source>
        <translation>Você aceita estes termos e quer baixá-lo?</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="56"/>
        <source>Licence terms</source>
        <translation>Termos da licença</translation>
    </message>
    <message>
        <location filename="../../pages/licence.py" line="60"/>
        <source>Accept and download</source>
        <translation>Aceitar e baixar</translation>
    </message>
</context>
<context>
    <name>presets</name>
    <message>
        <location filename="../../pages/chat/presets.py" line="11"/>
        <source>No system prompt</source>
        <translation>Sem prompt de sistema</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="12"/>
        <source>Helpful assistant</source>
        <translation>Assistente prestativo</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="13"/>
        <source>You are a helpful, honest assistant. Answer clearly.</source>
        <translation>Você é um assistente prestativo e honesto. Responda com clareza.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="14"/>
        <source>Concise</source>
        <translation>Conciso</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="15"/>
        <source>Answer in as few words as possible, without preamble.</source>
        <translation>Responda com o mínimo de palavras possível, sem preâmbulo.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="16"/>
        <source>Programmer</source>
        <translation>Programador</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="17"/>
        <source>You are an expert programmer. Answer with working code in fenced code blocks and brief explanations.</source>
        <translation>Você é um programador experiente. Responda com código que funciona, em blocos de código, e explicações breves.</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="19"/>
        <source>Translator</source>
        <translation>Tradutor</translation>
    </message>
    <message>
        <location filename="../../pages/chat/presets.py" line="20"/>
        <source>Translate the user&apos;s text into English. Reply with the translation only.</source>
        <translation>Traduza o texto do usuário para o português do Brasil. Responda só com a tradução.</translation>
    </message>
</context>
<context>
    <name>tasks</name>
    <message>
        <location filename="../../pages/installed_pane.py" line="35"/>
        <source>Chat</source>
        <translation>Conversa</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="36"/>
        <source>Translate</source>
        <translation>Traduzir</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="37"/>
        <source>Caption</source>
        <translation>Legendar</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="38"/>
        <source>Embeddings</source>
        <translation>Embeddings</translation>
    </message>
    <message>
        <location filename="../../pages/installed_pane.py" line="39"/>
        <source>Images</source>
        <translation>Imagens</translation>
    </message>
</context>
<context>
    <name>widget</name>
    <message>
        <location filename="../../pages/chat/message_view.py" line="229"/>
        <source>code</source>
        <translation>código</translation>
    </message>
</context>
</TS>
